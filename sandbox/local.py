"""The ``local`` backend: a subprocess with namespaces, a read-only filesystem, cgroups and rlimits.

What a run gets depends on what the machine offers, probed once per process:

- ``bwrap`` (bubblewrap): a mount namespace in which ``/`` is read-only, ``/tmp`` and
  ``/run`` are private and empty, the home directory is hidden (the interpreter's own
  directories are mapped back read-only) and only the working directory is writable;
  a minimal ``/dev`` plus the GPU device nodes; no network, a private pid namespace
  (processes that ``setsid`` away die with it), no capabilities, a new terminal session.
- otherwise ``unshare``: user + network + pid namespaces (no network, escapees die),
  but the filesystem stays as writable as it is for the caller.
- a per-run control group (``pids.max``, memory limit, kill-all), where writable. A
  launcher prepared in the background already sits in the next run's fresh group, so
  the slow cgroup v1 migration is off the run's critical path (:mod:`polca.sandbox.launcher`).
- rlimits through ``prlimit``: CPU time, file size, open files, processes, and the
  address space when no memory control group is available.

The result's ``protections`` lists what was active; one warning is logged per process
when namespaces are missing.
"""

from __future__ import annotations

import dataclasses
import glob
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass

from polca.sandbox.classify import sandbox_error, to_result
from polca.sandbox.environment import scrubbed_env
from polca.sandbox.launcher import Launcher, can_hand_over, take_launcher
from polca.sandbox.limits import (
    CgroupSupport,
    RunCgroup,
    prlimit_args,
    probe_cgroups,
    remove_stale_groups,
)
from polca.sandbox.process import Launch, Outcome, execute, kill_process_group
from polca.sandbox.types import RunResult, RunSpec
from polca.sandbox.workdir import Workdir, argv_for, fresh_workdir, stdin_bytes

logger = logging.getLogger(__name__)

_PROBE_TIMEOUT_S = 10.0
_BWRAP_ISOLATION = ("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")
_BWRAP_SESSION = ("--die-with-parent", "--new-session", "--cap-drop", "ALL")
_UNSHARE_ISOLATION = ("--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount-proc")


@dataclass(frozen=True)
class HostSupport:
    """The isolation tools that work on this machine."""

    bwrap: str | None
    unshare: str | None
    prlimit: str | None
    cgroups: CgroupSupport
    bwrap_sized_tmpfs: bool = False  # bwrap >= 0.5 can cap each tmpfs (--size)

    def protections(self, network: bool) -> tuple[str, ...]:
        names: list[str] = []
        if self.bwrap:
            names += ["bwrap", "ro-root", "private-tmp", "hidden-home", "pidns", "no-caps"]
        elif self.unshare:
            names += ["userns", "pidns"]
        if (self.bwrap or self.unshare) and not network:
            names.append("netns")
        if self.prlimit:
            names.append("rlimits")
        return (*names, *self.cgroups.protections, "scrubbed-env", "private-workdir")


_probe_lock = threading.Lock()
_probed: HostSupport | None = None


def host_support() -> HostSupport:
    """What this machine offers, probed on first use (thread-safe, once per process)."""
    global _probed
    with _probe_lock:
        if _probed is None:
            _probed = _probe()
            _warn_if_weak(_probed)
        return _probed


def _probe() -> HostSupport:
    bwrap = shutil.which("bwrap")
    if bwrap and not _works([bwrap, "--ro-bind", "/", "/", "--unshare-net", *_BWRAP_ISOLATION, *_BWRAP_SESSION, "true"]):
        bwrap = None
    sized = bool(bwrap) and _works([bwrap, "--ro-bind", "/", "/", "--size", "1048576", "--tmpfs", "/tmp", "true"])
    unshare = shutil.which("unshare")
    if unshare and not _works([unshare, "--net", *_UNSHARE_ISOLATION, "true"]):
        unshare = None
    prlimit = shutil.which("prlimit")
    if prlimit and not _works([prlimit, "--nofile=64", "--", "true"]):
        prlimit = None
    cgroups = probe_cgroups()
    if remove_stale_groups(cgroups):
        logger.info("sandbox: removed control groups left behind by runs of processes that died")
    return HostSupport(bwrap=bwrap, unshare=unshare, prlimit=prlimit, cgroups=cgroups, bwrap_sized_tmpfs=sized)


def _works(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _warn_if_weak(support: HostSupport) -> None:
    if support.bwrap:
        logger.debug("sandbox: local protections: %s", ", ".join(support.protections(network=False)))
        return
    missing = "bubblewrap (read-only filesystem)" if support.unshare else "namespaces (bwrap or unshare)"
    logger.warning(
        "sandbox: %s not available here; local runs have only: %s. Install bubblewrap for full isolation.",
        missing,
        ", ".join(support.protections(network=False)),
    )


class LocalBackend:
    """Runs a spec as an isolated local subprocess with the strongest protections available."""

    name = "local"

    def __init__(self, support: HostSupport | None = None, prestart: bool = True) -> None:
        """``prestart``: hand runs to a launcher that joined its groups ahead of time.

        See :mod:`polca.sandbox.launcher`; ``False`` starts each run's process directly
        and moves it into its groups on the critical path (about 12 ms on cgroup v1).
        """
        self.support = support if support is not None else host_support()
        self.prestart = prestart

    def run(self, spec: RunSpec) -> RunResult:
        protections = self.support.protections(spec.limits.network)
        launcher = self._ready_launcher(spec)
        cgroup = launcher.cgroup if launcher is not None else RunCgroup(self.support.cgroups, spec.limits)
        try:
            if launcher is None:
                cgroup.create()
        except OSError as exc:
            logger.warning("sandbox: could not create the run's control group (%s); running without it", exc)
            cgroup = RunCgroup(CgroupSupport(0, None, None), spec.limits)
            protections = tuple(p for p in protections if not p.startswith("cgroup-"))
        try:
            # tmpfs pages count against the memory cgroup; without one, stay on disk.
            parent_dir = None if cgroup.memory_dir is not None else tempfile.gettempdir()
            with fresh_workdir(spec, parent_dir) as workdir:
                outcome = self._execute(spec, workdir, cgroup, launcher)
            outcome = dataclasses.replace(
                _unwrap_signal(outcome),
                cpu_s=max(outcome.cpu_s, cgroup.cpu_s()),
                peak_rss_mb=max(cgroup.peak_memory_mb(), outcome.peak_rss_mb),
            )
            return to_result(outcome, spec.limits, self.name, protections, cgroup.memory_limit_hit())
        except OSError as exc:
            return sandbox_error(f"the local sandbox failed: {exc}", self.name, protections)
        finally:
            cgroup.remove()
            if launcher is not None:  # reaped already unless the run failed before its hand-over
                launcher.discard()

    def _ready_launcher(self, spec: RunSpec) -> Launcher | None:
        """A launcher already in fresh groups, opened to the spec's limits; None to start directly."""
        if not self.prestart or not can_hand_over(spec.env):
            return None
        launcher = take_launcher(self.support.cgroups)
        if launcher is None:
            return None
        try:
            launcher.cgroup.set_limits(spec.limits)
        except OSError as exc:
            logger.debug("sandbox: could not write limits into a prepared group (%s); starting directly", exc)
            launcher.discard()
            return None
        return launcher

    def _execute(self, spec: RunSpec, workdir: Workdir, cgroup: RunCgroup, launcher: Launcher | None) -> Outcome:
        launch = self._launch(spec, workdir)
        chain, keep_shell = self._chain(spec, workdir, cgroup, launch.argv[0])
        if launcher is not None:
            return launcher.start(launch, chain, keep_shell, _tree_killer(cgroup))
        wrappers = [*shell_wrapper(cgroup.join_statements(), keep_shell), *chain]
        return execute(dataclasses.replace(launch, argv=(*wrappers, *launch.argv)), _tree_killer(cgroup))

    def _launch(self, spec: RunSpec, workdir: Workdir) -> Launch:
        """The program with no wrappers (a launcher is handed the wrappers separately)."""
        return Launch(
            argv=tuple(argv_for(spec)),
            cwd=workdir.path,
            env=scrubbed_env(spec.env, workdir.home_dir, workdir.tmp_dir),
            stdin=stdin_bytes(spec),
            timeout_s=spec.limits.timeout_s,
            max_output_bytes=spec.limits.max_output_bytes,
        )

    def _chain(self, spec: RunSpec, workdir: Workdir, cgroup: RunCgroup, program: str) -> tuple[list[str], bool]:
        """``prlimit -> bwrap|unshare`` in front of the program, and whether a shell must stay its parent.

        Without a pid namespace the program's parent is that shell, not the caller, so
        `os.kill(os.getppid(), 9)` cannot reach the caller's process.
        """
        isolation = self._isolation(spec, workdir, program)
        chain: list[str] = []
        if self.support.prlimit:
            chain += [self.support.prlimit, *prlimit_args(spec.limits, cap_address_space=cgroup.memory_dir is None)]
        return chain + isolation, not isolation

    def _isolation(self, spec: RunSpec, workdir: Workdir, program: str) -> list[str]:
        limits = spec.limits
        if self.support.bwrap:
            tmpfs_mb = limits.max_file_mb if self.support.bwrap_sized_tmpfs else None
            keep = ((os.path.dirname(program),) if os.path.isabs(program) else ()) + spec.read_only_paths
            return bwrap_args(self.support.bwrap, workdir.path, limits.network, tmpfs_mb, keep)
        if self.support.unshare:
            return [self.support.unshare, *([] if limits.network else ["--net"]), *_UNSHARE_ISOLATION, "--"]
        return []


def shell_wrapper(statements: list[str], keep_shell: bool) -> list[str]:
    """``sh -c`` that runs ``statements`` (joining cgroups) and then the rest of argv."""
    run_rest = '"$@"' if keep_shell else 'exec "$@"'
    script = " && ".join([*statements, run_rest])
    return ["/bin/sh", "-c", script, "polca-sandbox"]


def bwrap_args(
    bwrap: str, workdir: str, network: bool, tmpfs_mb: int | None = None, keep_paths: tuple[str, ...] = ()
) -> list[str]:
    """bubblewrap arguments: read-only root, private /tmp and /run, hidden home, writable workdir.

    The caller's interpreter directories (and ``keep_paths``, such as the directory of
    the program to run) that lie under a hidden directory are mapped back read-only, so
    a virtual environment under ``/tmp`` or the home directory still works.
    ``tmpfs_mb`` caps each private tmpfs (they live in memory); ``None`` leaves them uncapped.
    """
    tmpfs = ["--size", str(tmpfs_mb << 20), "--tmpfs"] if tmpfs_mb is not None else ["--tmpfs"]
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for device in gpu_devices():
        args += ["--dev-bind", device, device]
    for hidden in hidden_dirs():
        args += [*tmpfs, hidden]
        for path in paths_to_keep(hidden, keep_paths):
            args += ["--ro-bind", path, path]
    args += ["--bind", workdir, workdir, "--chdir", workdir]
    if not network:
        args.append("--unshare-net")
    return [*args, *_BWRAP_ISOLATION, *_BWRAP_SESSION, "--"]


def hidden_dirs() -> list[str]:
    """Directories replaced by an empty tmpfs in the sandbox: the home directory, /tmp, /run."""
    home = os.path.realpath(os.path.expanduser("~"))
    found = [home] if home not in ("/", "") and os.path.isdir(home) else []
    for path in ("/tmp", "/run"):
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in found and not home.startswith(real + os.sep):
            found.append(real)
    return found


def gpu_devices() -> list[str]:
    """GPU device nodes to pass through (``/dev/nvidia*``, ``/dev/dri``): kernels under test need them."""
    return sorted(glob.glob("/dev/nvidia*")) + [path for path in ("/dev/dri",) if os.path.exists(path)]


def paths_to_keep(hidden: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The caller's interpreter and import directories (and ``extra``) under ``hidden``, outermost first.

    They are mapped back read-only over the hidden directory, so ``sys.executable`` and
    the packages installed for it work inside the sandbox.
    """
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    candidates.update(entry for entry in (*sys.path, *extra) if entry)
    inside = sorted(
        {os.path.realpath(path) for path in candidates if os.path.isdir(path)},
        key=lambda path: (path.count(os.sep), path),
    )
    kept: list[str] = []
    for path in inside:
        if path.startswith(hidden + os.sep) and not any(path.startswith(parent + os.sep) for parent in kept):
            kept.append(path)
    return kept


def _tree_killer(cgroup: RunCgroup) -> Callable[[int], None]:
    def kill(pid: int) -> None:
        kill_process_group(pid)
        cgroup.kill_all()

    return kill


def _unwrap_signal(outcome: Outcome) -> Outcome:
    """Wrappers (sh, bwrap) report a program killed by signal N as exit code 128 + N."""
    code = outcome.exit_code
    if code is not None and 128 < code <= 128 + 64:
        return dataclasses.replace(outcome, exit_code=None, signal=code - 128)
    return outcome
