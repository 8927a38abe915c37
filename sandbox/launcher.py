"""Launchers started ahead of their run, already inside the run's fresh control groups.

Moving a process into a cgroup v1 group waits for an RCU grace period (about 12 ms on a
busy machine), and ``clone3(CLONE_INTO_CGROUP)`` needs cgroup v2 controllers. So the
``local`` backend keeps one launcher ready per process: a ``/bin/sh`` started with an
empty environment that joins a fresh group and then waits for its script on stdin. A
run takes the ready launcher, writes its limits into the group, hands it the command
(rlimits, namespaces, program) and a new launcher is prepared in the background while
the run executes.

Safety:

- the group is made with ``pids.max`` 1 and the run's limits are written before the
  script is sent, so the program's first instruction already runs under them;
- the launcher holds no secrets: its environment is empty until the script exports the
  run's scrubbed environment, and its argv names only the group directories;
- it dies with its owner: its stdin pipe's write end lives only in the owning process
  (not inherited by programs it starts; closed in forked children), and end of file
  makes the shell exit; a script line cut short (no newline) is never run;
- it is per process: a forked child drops its parent's launchers without touching them;
- at exit the ready launchers are killed and their groups removed; groups of a process
  that was killed are swept by the next probe (:func:`polca.sandbox.limits.remove_stale_groups`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Callable

from polca.sandbox.limits import CgroupSupport, RunCgroup
from polca.sandbox.process import Launch, Outcome, not_started, supervise
from polca.sandbox.types import Limits

logger = logging.getLogger(__name__)

_NEWLINE_VAR = "polca_nl"
_SCRIPT_VAR = "polca_script"
# Started directly instead: dash refuses OPTIND=<not a number> and replaces an inherited IFS
# (so a direct run sees the default), and the launcher's own variables must stay its own.
_NOT_EXPORTABLE = frozenset({"OPTIND", "IFS", _NEWLINE_VAR, _SCRIPT_VAR})
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPAWN_FAILED_EXIT = 126  # the launcher could not enter the run's working directory


class Launcher:
    """One ``/bin/sh`` waiting inside a fresh group (held at ``pids.max`` 1) for its script."""

    def __init__(self, cgroups: CgroupSupport) -> None:
        self.cgroup = RunCgroup(cgroups, Limits())
        self.cgroup.create_held()
        # `read` takes the script one byte at a time, so what follows it on stdin is the run's.
        steps = [*self.cgroup.join_statements(), f"IFS= read -r {_SCRIPT_VAR}", f'eval "${_SCRIPT_VAR}"']
        try:
            self.proc = subprocess.Popen(
                ["/bin/sh", "-c", f"{_NEWLINE_VAR}='\n'; " + " && ".join(steps), "polca-launcher"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},
                cwd="/",
                start_new_session=True,
                close_fds=True,
            )
        except OSError:
            self.cgroup.remove()
            raise
        self.owner_pid = os.getpid()

    def alive(self) -> bool:
        return self.owner_pid == os.getpid() and self.proc.poll() is None

    def start(self, launch: Launch, chain: list[str], keep_shell: bool, kill_tree: Callable[[int], None]) -> Outcome:
        """Hand over ``chain + launch.argv`` (limits already written) and supervise it to the end."""
        started = time.perf_counter()
        script = handover_script(launch, chain, keep_shell).encode()
        try:
            _write_all(self.proc.stdin.fileno(), script)
        except OSError as exc:
            self.discard()
            return not_started(f"the prepared launcher is gone ({exc.strerror or exc})", time.perf_counter() - started)
        if not launch.stdin:
            self.proc.stdin.close()
            self.proc.stdin = None
        return supervise(self.proc, launch, kill_tree, started)

    def discard(self) -> None:
        """Kill the launcher (owner only) and remove its groups."""
        if self.owner_pid == os.getpid():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self.proc.kill()
                self.proc.wait(timeout=1.0)
            self.cgroup.remove()
        self.forget()

    def forget(self) -> None:
        """Close this process's ends of the launcher's pipes without killing it."""
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()


def handover_script(launch: Launch, chain: list[str], keep_shell: bool) -> str:
    """The launcher's one-line script: stdin, working directory, environment, then the program.

    A line cut short (no newline: the owner died mid-write) is never run. Newlines inside
    values are spelled ``"$polca_nl"``, set by the launcher to a newline.
    """
    exports = " ".join(f"{name}={_quote(value)}" for name, value in launch.env.items())
    program = " ".join(_quote(arg) for arg in (*chain, *launch.argv))
    steps = [
        *([] if launch.stdin else ["exec 0</dev/null"]),
        f"{{ cd -- {_quote(launch.cwd)} || exit {_SPAWN_FAILED_EXIT}; }}",
        "unset OLDPWD",  # a directly started sh exports PWD too, but has no OLDPWD
        *([f"export {exports}"] if exports else []),
        program if keep_shell else f"exec {program}",
    ]
    return " && ".join(steps) + "\n"


def _quote(value: str) -> str:
    return shlex.quote(value).replace("\n", f"'\"${_NEWLINE_VAR}\"'")


def can_hand_over(env: dict[str, str]) -> bool:
    """True when the launcher's shell can export every variable as given (else start directly)."""
    return all(_SHELL_NAME.match(name) and name not in _NOT_EXPORTABLE for name in env)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Pool:
    """At most one ready launcher per control-group layout, refilled in the background."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ready: dict[CgroupSupport, Launcher] = {}
        self.filling: set[CgroupSupport] = set()
        self.closed = False

    def take(self, cgroups: CgroupSupport) -> Launcher | None:
        """The ready launcher for ``cgroups`` (or None); the next one is prepared in the background."""
        with self.lock:
            launcher = self.ready.pop(cgroups, None)
            self._start_fill(cgroups)
        if launcher is not None and not launcher.alive():
            launcher.discard()
            return None
        return launcher

    def prepare(self, cgroups: CgroupSupport, timeout_s: float) -> bool:
        """Start filling ``cgroups``'s slot if empty; True once a launcher is ready (waits up to ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                if cgroups in self.ready:
                    return True
                self._start_fill(cgroups)
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)

    def _start_fill(self, cgroups: CgroupSupport) -> None:
        """Start one background fill for ``cgroups`` unless one runs already (hold the lock)."""
        if self.closed or cgroups in self.filling:
            return
        self.filling.add(cgroups)
        threading.Thread(target=self._fill, args=(cgroups,), name="polca-launcher", daemon=False).start()

    def _fill(self, cgroups: CgroupSupport) -> None:
        try:
            launcher = Launcher(cgroups)
        except OSError as exc:
            logger.debug("sandbox: could not prepare a launcher (%s); runs start directly", exc)
            launcher = None
        with self.lock:
            self.filling.discard(cgroups)
            if launcher is not None and not self.closed and cgroups not in self.ready:
                self.ready[cgroups], launcher = launcher, None
        if launcher is not None:
            launcher.discard()

    def close(self) -> None:
        """Kill every ready launcher and remove its groups (at exit)."""
        with self.lock:
            self.closed = True
            ready, self.ready = list(self.ready.values()), {}
        for launcher in ready:
            launcher.discard()

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's launchers, leave them running for the parent."""
        self.lock = threading.Lock()
        ready, self.ready = list(self.ready.values()), {}
        self.filling = set()
        for launcher in ready:
            launcher.forget()


_pool = _Pool()
atexit.register(_pool.close)
os.register_at_fork(after_in_child=_pool.forget_after_fork)


def take_launcher(cgroups: CgroupSupport) -> Launcher | None:
    """A launcher already inside fresh groups, or None; prepares the next one in the background."""
    if not any((cgroups.pids_parent, cgroups.memory_parent, cgroups.cpu_parent)):
        return None
    return _pool.take(cgroups)


def prepare_launcher(cgroups: CgroupSupport, timeout_s: float = 5.0) -> bool:
    """Have a launcher ready for ``cgroups`` (before a timed section, say); False if none came in time."""
    if not any((cgroups.pids_parent, cgroups.memory_parent, cgroups.cpu_parent)):
        return False
    return _pool.prepare(cgroups, timeout_s)


def close_launchers() -> None:
    """Kill the ready launchers of this process and remove their groups (also done at exit)."""
    _pool.close()
    with _pool.lock:
        _pool.closed = False
