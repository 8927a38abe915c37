"""The run API: specs in, results out, on every backend; and the pieces the backends are built from."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from polca.sandbox import (
    DockerBackend,
    DockerSettings,
    Limits,
    LocalBackend,
    RunSpec,
    SandboxUnavailable,
    get_backend,
    host_support,
    run,
)
from polca.sandbox import launcher as launcher_module
from polca.sandbox import local as local_module
from polca.sandbox.classify import to_result
from polca.sandbox.docker_backend import container_spec
from polca.sandbox.environment import is_secret_name, scrubbed_env
from polca.sandbox.limits import CgroupSupport, cpu_limit_s, prlimit_args, remove_stale_groups
from polca.sandbox.local import HostSupport, bwrap_args, paths_to_keep
from polca.sandbox.process import Outcome

BACKENDS = ["local", "none"]


def _outcome(**changes) -> Outcome:
    values = dict(
        exit_code=0, signal=None, stdout=b"", stderr=b"", stdout_truncated=False, stderr_truncated=False,
        timed_out=False, output_exceeded=False, wall_s=0.1, cpu_s=0.1, peak_rss_mb=10.0,
    )
    values.update(changes)
    return Outcome(**values)


# ------------------------------------------------------------------ the API, end to end


@pytest.mark.parametrize("backend", BACKENDS)
def test_python_source_runs_with_stdin_and_args(backend):
    source = "import sys\nprint(sys.stdin.read().upper(), sys.argv[1:])\n"
    result = run(RunSpec(python_source=source, stdin="hello", args=("-x", "7")), backend=backend)
    assert result.status == "ok", result.message
    assert result.stdout == b"HELLO ['-x', '7']\n"
    assert result.exit_code == 0 and result.signal is None
    assert result.backend == backend
    assert result.wall_s > 0 and result.cpu_s > 0 and result.peak_rss_mb >= 0


@pytest.mark.skipif(
    "cgroup-memory" not in host_support().protections(network=False), reason="needs a memory cgroup"
)
def test_peak_memory_is_the_programs_own_not_the_callers():
    ballast = bytearray(300 << 20)  # the caller is large; the program is not
    small = run(RunSpec(python_source="pass"), backend="local")
    large = run(RunSpec(python_source="x = b'x' * (200 << 20)"), backend="local")
    del ballast
    assert small.peak_rss_mb < 100
    assert 190 < large.peak_rss_mb < 400


@pytest.mark.parametrize("backend", BACKENDS)
def test_files_are_placed_in_a_fresh_workdir_that_is_removed_afterwards(backend):
    files = {"data/input.txt": "42", "blob.bin": b"\x00\xff"}
    source = "import os\nprint(os.getcwd())\nprint(open('data/input.txt').read(), open('blob.bin','rb').read())\n"
    result = run(RunSpec(python_source=source, files=files), backend=backend)
    cwd, contents = result.stdout.decode().splitlines()
    assert contents == "42 b'\\x00\\xff'"
    assert not os.path.exists(cwd)


def test_python_source_uses_the_callers_interpreter_and_its_packages():
    result = run(RunSpec(python_source="import sys, numpy\nprint(sys.executable)\n"), backend="local")
    assert result.status == "ok", result.stderr
    assert result.stdout.decode().strip() == sys.executable


def test_command_runs_with_args_appended():
    result = run(RunSpec(command=(sys.executable, "-c", "import sys; print(sys.argv[1:])"), args=("a",)))
    assert result.stdout == b"['a']\n"


def test_exit_code_is_an_error_with_the_last_stderr_line():
    result = run(RunSpec(python_source="raise SystemExit('bad input')"))
    assert result.status == "error"
    assert result.exit_code == 1
    assert "bad input" in result.message


def test_signal_death_is_reported_as_killed_with_the_signal():
    result = run(RunSpec(python_source="import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"))
    assert result.status == "killed"
    assert result.signal == 11
    assert "SIGSEGV" in result.message


def test_cpu_time_limit_ends_a_busy_program_as_timeout():
    result = run(RunSpec(python_source="while True:\n    pass\n", limits=Limits(timeout_s=20, cpu_s=1)))
    assert result.status == "timeout"
    assert "CPU" in result.message


def test_max_processes_counts_the_program_not_the_sandbox():
    spawn = "import subprocess\nprint(subprocess.run(['true']).returncode)\n"
    assert run(RunSpec(python_source="print(1)", limits=Limits(max_processes=1))).stdout == b"1\n"
    assert run(RunSpec(python_source=spawn, limits=Limits(max_processes=2))).stdout == b"0\n"


def test_stderr_flood_is_cut_too():
    source = "import sys\nwhile True:\n    sys.stderr.write('e' * 1000)\n"
    result = run(RunSpec(python_source=source, limits=Limits(max_output_bytes=10_000)))
    assert result.status == "output_limit"
    assert result.stderr_truncated and not result.stdout_truncated


def test_env_is_added_but_secret_looking_names_are_dropped():
    source = "import os\nprint(os.environ.get('MODE'), os.environ.get('SERVICE_TOKEN'))\n"
    result = run(RunSpec(python_source=source, env={"MODE": "fast", "SERVICE_TOKEN": "t0ken"}))
    assert result.stdout == b"fast None\n"


def test_concurrent_runs_from_many_threads_do_not_mix():
    results: dict[int, bytes] = {}

    def one(index: int) -> None:
        spec = RunSpec(python_source=f"print({index} * 3)", limits=Limits(timeout_s=30))
        results[index] = run(spec, backend="local").stdout

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"{i * 3}\n".encode() for i in range(8)}


def test_local_run_reports_its_protections():
    result = run(RunSpec(python_source="pass"), backend="auto")
    assert result.backend == "local"
    assert "scrubbed-env" in result.protections
    assert "UNSAFE" not in result.protections


def test_none_backend_says_it_is_unsafe():
    result = run(RunSpec(python_source="pass"), backend="none")
    assert "UNSAFE" in result.protections


def test_local_without_namespaces_or_cgroups_still_limits_memory_with_rlimits():
    weak = LocalBackend(HostSupport(bwrap=None, unshare=None, prlimit="/usr/bin/prlimit", cgroups=_NO_CGROUPS))
    if not Path("/usr/bin/prlimit").exists():
        pytest.skip("prlimit is not installed")
    source = "x = bytearray(512 * 1024 * 1024)\n"
    result = run(RunSpec(python_source=source, limits=Limits(memory_mb=200)), backend=weak)
    assert result.status == "memory", result.message
    assert "netns" not in result.protections and "rlimits" in result.protections


def test_a_machine_without_namespaces_gets_one_warning(caplog):
    weak = HostSupport(bwrap=None, unshare=None, prlimit=None, cgroups=_NO_CGROUPS)
    with caplog.at_level(logging.WARNING, logger="polca.sandbox.local"):
        local_module._warn_if_weak(weak)
    assert len(caplog.records) == 1
    assert "scrubbed-env" in caplog.records[0].getMessage()


# ------------------------------------------------------------------ bad input raises


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (RunSpec(), ValueError),
        (RunSpec(command=("true",), python_source="pass"), ValueError),
        (RunSpec(command="python x.py"), TypeError),
        (RunSpec(python_source="pass", files={"../escape.txt": "x"}), ValueError),
        (RunSpec(python_source="pass", files={"/etc/passwd": "x"}), ValueError),
        (RunSpec(python_source="pass", limits=Limits(timeout_s=-1)), ValueError),
        (RunSpec(python_source="pass", limits=Limits(memory_mb=0)), ValueError),
        (RunSpec(python_source="pass", read_only_paths=("relative/dir",)), TypeError),
        (RunSpec(python_source="pass", read_only_paths="/tmp"), TypeError),
    ],
)
def test_malformed_specs_raise_with_the_value(spec, error):
    with pytest.raises(error):
        run(spec, backend="none")


@pytest.mark.skipif(not host_support().bwrap, reason="needs bubblewrap, which hides /tmp and the home directory")
def test_read_only_paths_under_a_hidden_directory_are_mapped_back_read_only(tmp_path):
    shared = tmp_path / "shared"  # under /tmp, which the sandbox hides
    shared.mkdir()
    (shared / "data.txt").write_text("visible")
    source = (f"import pathlib, sys\np = pathlib.Path({str(shared)!r})\nprint(p.exists())\n"
              "try:\n    (p / 'new.txt').write_text('x')\nexcept OSError:\n    print('read-only')\n")
    hidden = run(RunSpec(python_source=source), backend="local")
    assert hidden.stdout.split() == [b"False", b"read-only"]
    shown = run(RunSpec(python_source=source.replace("p.exists()", "(p / 'data.txt').read_text()"),
                        read_only_paths=(str(shared),)), backend="local")
    assert shown.stdout.split() == [b"visible", b"read-only"]
    assert not (shared / "new.txt").exists()


def test_unknown_backend_lists_the_choices():
    with pytest.raises(ValueError, match="auto, local, docker, none"):
        get_backend("podman")


# ------------------------------------------------------------------ building blocks


def test_secret_names_are_recognised():
    for name in ("OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "http_proxy", "HF_HOME", "DB_PASSWORD"):
        assert is_secret_name(name), name
    for name in ("PATH", "LANG", "MODE", "KEYBOARD"):
        assert not is_secret_name(name), name


def test_scrubbed_env_starts_from_an_allow_list(monkeypatch):
    monkeypatch.setenv("SOME_CALLER_SETTING", "1")
    env = scrubbed_env({"X": "1"}, home_dir="/w/.home", tmp_dir="/w/.tmp")
    assert env["HOME"] == "/w/.home" and env["TMPDIR"] == "/w/.tmp" and env["X"] == "1"
    assert "SOME_CALLER_SETTING" not in env
    assert env["PATH"].split(":")[0] == os.path.dirname(sys.executable)


def test_prlimit_args_cap_address_space_only_without_a_memory_cgroup():
    limits = Limits(timeout_s=5, memory_mb=100, max_file_mb=1, max_open_files=10, max_processes=3)
    assert prlimit_args(limits, cap_address_space=True) == [
        "--cpu=6:7", "--fsize=1048576", "--nofile=10", "--nproc=3", "--core=0", f"--as={100 << 20}", "--",
    ]
    assert not any(arg.startswith("--as") for arg in prlimit_args(limits, cap_address_space=False))
    assert cpu_limit_s(Limits(cpu_s=0.2)) == 1


def test_bwrap_args_make_root_read_only_and_the_workdir_writable():
    args = bwrap_args("/usr/bin/bwrap", "/tmp/polca-run-x", network=False)
    assert args[:5] == ["/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev"]
    bind = args.index("--bind")
    assert args[bind + 1 : bind + 3] == ["/tmp/polca-run-x", "/tmp/polca-run-x"]
    assert args.index("/tmp") < bind  # the workdir is bound over the private /tmp
    assert "--unshare-net" in args and "--cap-drop" in args and args[-1] == "--"
    assert "--unshare-net" not in bwrap_args("/usr/bin/bwrap", "/tmp/w", network=True)
    sized = bwrap_args("/usr/bin/bwrap", "/tmp/w", network=False, tmpfs_mb=8)
    assert sized[sized.index("/tmp") - 3 : sized.index("/tmp")] == ["--size", str(8 << 20), "--tmpfs"]


def test_kept_paths_are_the_outermost_dirs_under_a_hidden_dir():
    home = os.path.realpath(os.path.expanduser("~"))
    paths = paths_to_keep(home)
    assert all(path.startswith(home + os.sep) for path in paths)
    assert not any(a != b and b.startswith(a + os.sep) for a in paths for b in paths)


def test_a_virtual_environment_under_tmp_is_mapped_back_into_the_sandbox(tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    args = bwrap_args("/usr/bin/bwrap", "/dev/shm/w", network=False)
    tmp = os.path.realpath("/tmp")
    keep = args.index(os.path.realpath(venv))
    assert args[keep - 1] == "--ro-bind"
    assert args.index(tmp) < keep  # mapped back after /tmp was hidden


@pytest.mark.skipif(host_support().bwrap is None, reason="needs bubblewrap")
def test_a_program_under_tmp_runs_in_the_sandbox(tmp_path):
    script = tmp_path / "tool.sh"
    script.write_text("#!/bin/sh\necho tool ran\n")
    script.chmod(0o755)
    result = run(RunSpec(command=(str(script),)), backend="local")
    assert result.status == "ok", result.message
    assert result.stdout == b"tool ran\n"


def test_wrapper_exit_codes_above_128_become_signals():
    assert local_module._unwrap_signal(_outcome(exit_code=137)).signal == 9
    assert local_module._unwrap_signal(_outcome(exit_code=3)).exit_code == 3


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, "ok"),
        ({"exit_code": 2}, "error"),
        ({"exit_code": None, "signal": 9}, "killed"),
        ({"exit_code": None, "signal": 24}, "timeout"),
        ({"exit_code": None, "signal": 9, "timed_out": True}, "timeout"),
        ({"exit_code": None, "signal": 9, "output_exceeded": True, "stdout_truncated": True}, "output_limit"),
        ({"exit_code": 1, "stderr": b"Traceback...\nMemoryError\n"}, "memory"),
        ({"exit_code": None, "spawn_error": "No such file or directory: x"}, "error"),
    ],
)
def test_outcomes_map_to_statuses(changes, status):
    result = to_result(_outcome(**changes), Limits(), "local", ())
    assert result.status == status
    assert result.message


def test_docker_container_spec_is_locked_down(tmp_path):
    spec = RunSpec(python_source="print(1)", args=("x",), env={"MODE": "1", "API_KEY": "k"},
                   limits=Limits(memory_mb=256, max_processes=20, timeout_s=5))
    kwargs = container_spec(spec, str(tmp_path), DockerSettings(image="python:3.12-slim"))
    assert kwargs["image"] == "python:3.12-slim"
    assert kwargs["network_mode"] == "none"
    assert kwargs["read_only"] is True
    assert kwargs["mem_limit"] == "256m" and kwargs["memswap_limit"] == "256m"
    assert kwargs["pids_limit"] == 20
    assert kwargs["user"] == "65534:65534"
    assert kwargs["cap_drop"] == ["ALL"] and "no-new-privileges" in kwargs["security_opt"]
    assert "/work" in kwargs["tmpfs"]
    assert kwargs["volumes"] == {str(tmp_path): {"bind": "/polca", "mode": "ro"}}
    assert kwargs["command"][-3:] == ["python", "main.py", "x"]
    assert kwargs["environment"]["MODE"] == "1" and "API_KEY" not in kwargs["environment"]
    assert {u.name for u in kwargs["ulimits"]} == {"cpu", "nofile", "fsize"}


def test_docker_spec_opens_the_network_only_when_asked(tmp_path):
    spec = RunSpec(command=("echo", "hi"), limits=Limits(network=True, memory_mb=None))
    kwargs = container_spec(spec, str(tmp_path), DockerSettings())
    assert kwargs["network_mode"] == "bridge"
    assert "mem_limit" not in kwargs


def _docker_engine_running() -> bool:
    try:
        DockerBackend().client()
    except (SandboxUnavailable, ImportError):
        return False
    return True


@pytest.mark.skipif(not _docker_engine_running(), reason="no docker engine on this machine")
def test_docker_backend_runs_a_program_without_network():
    source = "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\nexcept OSError:\n    print('no net')\n"
    result = run(RunSpec(python_source=source, stdin="x"), backend="docker")
    assert result.status == "ok", result.message
    assert result.stdout == b"no net\n"


_NO_CGROUPS = CgroupSupport(0, None, None)


def _weaker(bwrap: bool = False, unshare: bool = False) -> LocalBackend:
    """The local backend as it runs on a machine without some of the tools this one has."""
    full = host_support()
    return LocalBackend(
        HostSupport(
            bwrap=full.bwrap if bwrap else None,
            unshare=full.unshare if unshare else None,
            prlimit=full.prlimit,
            cgroups=full.cgroups,
        )
    )


@pytest.mark.skipif(host_support().unshare is None, reason="unshare does not work here")
def test_unshare_fallback_has_no_network():
    import socket

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        source = (
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    print('connected')\n"
            "except OSError:\n    print('blocked')\n"
        )
        result = run(RunSpec(python_source=source), backend=_weaker(unshare=True))
    assert result.stdout == b"blocked\n"
    assert "netns" in result.protections and "ro-root" not in result.protections


def test_without_namespaces_killing_the_parent_hits_a_shell_not_the_caller():
    result = run(RunSpec(python_source="import os\nos.kill(os.getppid(), 9)\n"), backend=_weaker())
    assert result.status == "killed"
    assert run(RunSpec(python_source="print(2)"), backend=_weaker()).stdout == b"2\n"


@pytest.mark.skipif(host_support().cgroups.pids_parent is None, reason="no writable pids cgroup")
def test_groups_left_by_a_dead_process_are_removed():
    dead_pid = _a_dead_pid()
    stale = host_support().cgroups.pids_parent / f"polca-run-{dead_pid}-feedbeef"
    stale.mkdir()
    live = host_support().cgroups.pids_parent / f"polca-run-{os.getpid()}-feedbeef"
    live.mkdir()
    try:
        assert remove_stale_groups(host_support().cgroups) >= 1
        assert not stale.exists() and live.exists()
    finally:
        for directory in (stale, live):
            if directory.exists():
                directory.rmdir()


def _a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_network_can_be_switched_on_for_a_run():
    import socket

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        source = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5).sendall(b'hi')\n"
        result = run(RunSpec(python_source=source, limits=Limits(network=True)), backend="local")
        connection, _ = listener.accept()
        with connection:
            assert connection.recv(2) == b"hi"
    assert result.status == "ok", result.message
    assert "netns" not in result.protections


def test_none_backend_returns_even_when_an_escaped_child_holds_its_output():
    marker = f"polca-holder-{os.getpid()}-{threading.get_ident()}"
    source = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)  # {marker}'], start_new_session=True)\n"
        "print('parent done')\n"
    )
    try:
        result = run(RunSpec(python_source=source), backend="none")
    finally:
        for pid in _pids_with(marker):
            os.kill(pid, 9)
    assert result.status == "ok"
    assert result.stdout == b"parent done\n"


def _pids_with(marker: str) -> list[int]:
    """Pids whose command line holds ``marker`` (the processes this test itself started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class _FakeContainer:
    """Stands in for a docker container: scripted exit, OOM flag and logs."""

    def __init__(self, exit_code=0, hang=False, oom=False, stdout=b"", stderr=b""):
        self.exit_code, self.hang, self.oom = exit_code, hang, oom
        self.output = {True: stdout, False: stderr}
        self.killed = self.removed = False
        self.attrs: dict = {}

    def start(self):
        pass

    def wait(self, timeout=None):
        import requests

        if self.hang and not self.killed:
            raise requests.exceptions.ReadTimeout("timed out")
        return {"StatusCode": 137 if self.killed else self.exit_code}

    def kill(self):
        self.killed = True

    def reload(self):
        self.attrs = {"State": {"OOMKilled": self.oom}}

    def logs(self, stdout, stderr, stream):
        data = self.output[stdout]
        return iter([data[i : i + 1000] for i in range(0, len(data), 1000)])

    def remove(self, force):
        self.removed = True


class _FakeClient:
    def __init__(self, container):
        self.container = container
        self.containers = self
        self.created_with: dict = {}

    def create(self, **kwargs):
        self.created_with = kwargs
        (mounted,) = kwargs["volumes"]
        self.staged = sorted(os.listdir(mounted)) + sorted(os.listdir(os.path.join(mounted, "files")))
        return self.container


@pytest.mark.parametrize(
    ("container", "limits", "status"),
    [
        (_FakeContainer(stdout=b"hi\n"), Limits(), "ok"),
        (_FakeContainer(exit_code=2, stderr=b"boom"), Limits(), "error"),
        (_FakeContainer(hang=True), Limits(timeout_s=0.1), "timeout"),
        (_FakeContainer(exit_code=137, oom=True), Limits(memory_mb=64), "memory"),
        (_FakeContainer(stdout=b"x" * 5000), Limits(max_output_bytes=100), "output_limit"),
    ],
)
def test_docker_backend_turns_container_outcomes_into_statuses(container, limits, status):
    client = _FakeClient(container)
    result = run(RunSpec(python_source="print('hi')", stdin="in", limits=limits), backend=DockerBackend(client=client))
    assert result.status == status, result.message
    assert result.backend == "docker" and container.removed
    assert client.created_with["network_mode"] == "none"
    assert client.staged == [".polca-stdin", "files", "main.py"]
    if status == "output_limit":
        assert result.stdout_truncated and result.stdout.startswith(b"x" * 100)


# ------------------------------------------------------------------ launchers prepared ahead of the run

_needs_run_groups = pytest.mark.skipif(not host_support().cgroups.protections, reason="no writable cgroup")
_ENV_AND_FDS = (
    "import os, sys\n"
    "here = os.getcwd()\n"
    "print(sorted((k, v.replace(here, 'WORKDIR')) for k, v in os.environ.items()))\n"
    "print(sorted(os.listdir('/proc/self/fd')), os.path.basename(here).startswith('polca-run-'))\n"
    "print(repr(sys.stdin.read()), sys.argv[1:])\n"
)


def _spy_on_launchers(monkeypatch) -> list[int]:
    started: list[int] = []
    original = launcher_module.Launcher.start

    def start(self, *args, **kwargs):
        started.append(self.proc.pid)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(launcher_module.Launcher, "start", start)
    return started


@_needs_run_groups
def test_a_prepared_launcher_holds_no_environment_and_may_not_fork():
    launcher = launcher_module.Launcher(host_support().cgroups)
    try:
        assert Path(f"/proc/{launcher.proc.pid}/environ").read_bytes() == b""
        if launcher.cgroup.pids_dir is not None:
            assert (launcher.cgroup.pids_dir / "pids.max").read_text().strip() == "1"
        assert launcher.alive()
    finally:
        launcher.discard()
    assert launcher.proc.poll() is not None
    assert not any(directory.exists() for directory in launcher.cgroup.dirs)


@_needs_run_groups
@pytest.mark.parametrize(("script", "expected"), [(b"exec /bin/echo ran\n", b"ran\n"), (b"exec /bin/echo ran", b"")])
def test_a_script_line_cut_short_is_never_run(script, expected):
    launcher = launcher_module.Launcher(host_support().cgroups)
    try:
        out, _ = launcher.proc.communicate(script, timeout=10)
        assert out == expected
        assert (launcher.proc.returncode == 0) == bool(expected)
    finally:
        launcher.discard()


@_needs_run_groups
@pytest.mark.parametrize("tools", ["bwrap", "unshare", "none"])
@pytest.mark.parametrize("stdin", [None, "line one\nline 'two'\n"])
def test_a_run_through_a_launcher_sees_what_a_direct_run_sees(monkeypatch, tools, stdin):
    started = _spy_on_launchers(monkeypatch)
    support = _weaker(bwrap=tools == "bwrap", unshare=tools == "unshare").support
    env = {"MODE": "x\ny 'z'", "IFS": "-", "polca_nl": "x"}
    spec = RunSpec(python_source=_ENV_AND_FDS, stdin=stdin, args=("a b\nc", "$HOME", "-"), env=env)
    direct = LocalBackend(support, prestart=False).run(spec)
    assert launcher_module.prepare_launcher(host_support().cgroups)
    assert LocalBackend(support).run(spec).stdout == direct.stdout  # IFS, polca_nl: started directly
    assert not started
    spec = dataclasses.replace(spec, env={"MODE": "x\ny 'z'", "CDPATH": "/", "ENV": "/nonexistent"})
    direct = LocalBackend(support, prestart=False).run(spec)
    prepared = LocalBackend(support).run(spec)
    assert len(started) == 1
    assert prepared.status == direct.status == "ok", (prepared.stderr, direct.stderr)
    assert prepared.stdout == direct.stdout
    assert prepared.protections == direct.protections


@_needs_run_groups
def test_a_fork_bomb_handed_to_a_launcher_is_held_by_the_run_limits(monkeypatch):
    started = _spy_on_launchers(monkeypatch)
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    assert launcher_module.prepare_launcher(host_support().cgroups)
    result = run(RunSpec(python_source=bomb, limits=Limits(timeout_s=2.0, max_processes=16)), backend="local")
    assert started and result.status == "timeout"
    assert subprocess.run(["true"], check=False).returncode == 0
    spawn = "import subprocess\nprint(subprocess.run(['true']).returncode)\n"
    for max_processes, expected in ((2, b"0\n"), (1, b"")):
        assert launcher_module.prepare_launcher(host_support().cgroups)
        result = run(RunSpec(python_source=spawn, limits=Limits(max_processes=max_processes)), backend="local")
        assert result.stdout == expected, result.stderr
    assert len(started) == 3


@_needs_run_groups
def test_a_forked_child_does_not_reuse_the_parents_launcher():
    cgroups = host_support().cgroups
    assert launcher_module.prepare_launcher(cgroups)
    child = os.fork()
    if child == 0:
        os._exit(0 if not launcher_module._pool.ready else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    launcher = launcher_module.take_launcher(cgroups)
    assert launcher is not None and launcher.alive()
    launcher.discard()


_OWNER = (
    "import sys\n"
    "from polca.sandbox import host_support\n"
    "from polca.sandbox.launcher import _pool, prepare_launcher\n"
    "assert prepare_launcher(host_support().cgroups)\n"
    "launcher = next(iter(_pool.ready.values()))\n"
    "print(launcher.proc.pid, *launcher.cgroup.dirs, flush=True)\n"
    "sys.stdin.read() if sys.argv[1] == 'wait' else None\n"
)


def _start_owner(mode: str) -> tuple[subprocess.Popen, int, list[Path]]:
    owner = subprocess.Popen([sys.executable, "-c", _OWNER, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    pid, *dirs = owner.stdout.readline().split()
    return owner, int(pid), [Path(d.decode()) for d in dirs]


def _gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.01)
    return False


@_needs_run_groups
def test_a_process_that_exits_leaves_no_launcher_and_no_group():
    owner, pid, dirs = _start_owner("exit")
    assert owner.wait(timeout=30) == 0
    assert _gone(pid)
    assert dirs and not any(directory.exists() for directory in dirs)


@_needs_run_groups
def test_a_launcher_dies_with_a_killed_owner_and_its_groups_are_swept():
    owner, pid, dirs = _start_owner("wait")
    owner.kill()
    owner.wait(timeout=30)
    assert _gone(pid)
    remove_stale_groups(host_support().cgroups)
    assert dirs and not any(directory.exists() for directory in dirs)
