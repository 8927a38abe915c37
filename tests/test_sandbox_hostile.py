"""Hostile programs the local sandbox must survive: the host and this test process stay
healthy, and the result names what happened. One test per attack.

Runs use the ``local`` backend with whatever protections the machine has; tests that
need a protection the machine lacks (a read-only filesystem, a network namespace, a
pid-limiting cgroup) are skipped with the reason rather than passing vacuously.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from polca.sandbox import Limits, RunSpec, run
from polca.sandbox.local import host_support

REPO_ROOT = Path(__file__).resolve().parents[1]
PROTECTIONS = host_support().protections(network=False)


def _needs(protection: str):
    return pytest.mark.skipif(protection not in PROTECTIONS, reason=f"this machine lacks {protection}")


def _run(source: str, **limits) -> object:
    return run(RunSpec(python_source=source, limits=Limits(**{"timeout_s": 10.0, **limits})), backend="local")


def _processes_with(marker: str) -> list[int]:
    """Pids on the host whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _host_still_forks() -> bool:
    return subprocess.run(["true"], check=False).returncode == 0


@_needs("cgroup-pids")
def test_fork_bomb_is_contained_and_reported_as_timeout():
    source = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = _run(source, timeout_s=2.0, max_processes=16)
    assert result.status == "timeout"
    assert _host_still_forks()


def test_memory_bomb_reports_memory():
    source = "chunks = []\nwhile True:\n    chunks.append(b'x' * (16 << 20))\n"
    result = _run(source, memory_mb=128)
    assert result.status == "memory", result.message
    assert "128 MB" in result.message


def test_infinite_loop_times_out_and_is_killed():
    result = _run("while True:\n    pass\n", timeout_s=0.5)
    assert result.status == "timeout"
    assert result.signal is not None


def test_print_flood_stops_at_the_output_limit_with_a_marker():
    result = _run("while True:\n    print('spam' * 100)\n", max_output_bytes=50_000)
    assert result.status == "output_limit"
    assert result.stdout_truncated
    assert result.stdout.startswith(b"spam")
    assert b"output cut at 50000 bytes" in result.stdout
    assert len(result.stdout) < 50_000 + 200


@_needs("netns")
def test_tcp_connection_to_a_loopback_listener_receives_nothing():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        source = (
            "import socket\n"
            "try:\n"
            f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "    s.sendall(b'stolen secrets')\n"
            "    print('connected')\n"
            "except OSError as exc:\n"
            "    print('blocked', exc)\n"
        )
        result = _run(source)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert result.status == "ok"
    assert result.stdout.startswith(b"blocked")


@_needs("ro-root")
@pytest.mark.parametrize("where", ["home", "repository"])
def test_canary_file_outside_the_workdir_is_not_written(where):
    directory = Path.home() if where == "home" else REPO_ROOT
    canary = directory / f"polca-canary-{uuid.uuid4().hex}"
    source = f"try:\n    open({str(canary)!r}, 'w').write('pwned')\nexcept OSError as exc:\n    print('refused', exc)\n"
    try:
        result = _run(source)
        assert not canary.exists()
    finally:
        canary.unlink(missing_ok=True)
    # The home directory is an empty throwaway inside the sandbox, the repository is read-only.
    assert result.status == "ok"
    if where == "repository":
        assert result.stdout.startswith(b"refused")


def test_api_keys_in_the_callers_environment_are_not_visible(monkeypatch):
    secret = f"sk-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("POLCA_DEPLOY_TOKEN", secret)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    source = (
        "import os, glob\n"
        "print(sorted(os.environ))\n"
        "print(os.environ.get('OPENAI_API_KEY'))\n"
        "for path in glob.glob('/proc/*/environ'):\n"
        "    try:\n"
        "        print(open(path, 'rb').read())\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = run(RunSpec(python_source=source, env={"GITHUB_TOKEN": secret}), backend="local")
    assert result.status == "ok"
    assert secret.encode() not in result.stdout
    assert b"HTTPS_PROXY" not in result.stdout
    assert b"GITHUB_TOKEN" not in result.stdout


@pytest.mark.skipif(
    "pidns" not in PROTECTIONS and "cgroup-pids" not in PROTECTIONS,
    reason="this machine has neither a pid namespace nor a pids cgroup to find escapees",
)
@pytest.mark.parametrize("launcher", ["setsid", "nohup"])
def test_children_that_outlive_their_parent_are_killed(launcher):
    marker = f"polca-escapee-{uuid.uuid4().hex}"
    child = [launcher, sys.executable, "-c", f"import time; time.sleep(60)  # {marker}"]
    source = (
        "import subprocess\n"
        f"subprocess.Popen({child!r}, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print('parent done')\n"
    )
    result = _run(source)
    assert result.status == "ok"
    assert _processes_with(marker) == []


def test_killing_the_parent_process_leaves_the_caller_alive():
    result = _run("import os\nos.kill(os.getppid(), 9)\nprint('after')\n")
    assert result.status in ("ok", "killed", "error")
    assert result.message
    assert _run("print('still serving')").stdout == b"still serving\n"


def test_sys_exit_zero_mid_output_keeps_what_was_printed():
    result = _run("import sys\nprint('first')\nsys.exit(0)\nprint('never')\n")
    assert result.status == "ok"
    assert result.stdout == b"first\n"


def test_program_that_closes_its_stdout_still_finishes():
    source = "import os, sys, time\nos.close(1)\ntime.sleep(0.2)\nsys.stderr.write('still here')\nos._exit(0)\n"
    result = _run(source)
    assert result.status == "ok"
    assert result.stdout == b""
    assert result.stderr == b"still here"


def test_binary_blob_on_stdout_comes_back_byte_for_byte():
    result = _run("import sys\nsys.stdout.buffer.write(bytes(range(256)) * 64)\n")
    assert result.status == "ok"
    assert result.stdout == bytes(range(256)) * 64


def test_syntax_error_is_an_error_with_the_reason():
    result = _run("def broken(:\n    pass\n")
    assert result.status == "error"
    assert "SyntaxError" in result.message


def test_missing_script_file_is_an_error():
    result = run(RunSpec(command=(sys.executable, "not_there.py")), backend="local")
    assert result.status == "error"
    assert "not_there.py" in result.message


def test_missing_executable_is_an_error():
    result = run(RunSpec(command=("polca-no-such-program",)), backend="local")
    assert result.status == "error"
    assert "polca-no-such-program" in result.message


def test_zero_second_timeout_is_a_timeout():
    result = _run("print('too late')\n", timeout_s=0.0)
    assert result.status == "timeout"


@pytest.mark.skipif(not host_support().bwrap_sized_tmpfs, reason="this bubblewrap cannot cap its tmpfs")
def test_filling_the_private_tmp_stops_at_its_cap():
    source = (
        "written = 0\n"
        "try:\n"
        "    with open('/tmp/fill', 'wb') as handle:\n"
        "        while True:\n"
        "            handle.write(b'x' * (1 << 20))\n"
        "            handle.flush()\n"
        "            written += 1\n"
        "except OSError as exc:\n"
        "    print(written, exc.errno)\n"
    )
    result = _run(source, max_file_mb=8)
    assert result.status == "ok", result.message
    written_mb, errno_value = result.stdout.split()
    assert int(written_mb) <= 8
    assert int(errno_value) in (27, 28)  # EFBIG (file size rlimit) or ENOSPC (tmpfs cap)
