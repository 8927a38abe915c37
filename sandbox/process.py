"""Start one process, feed its stdin, read its output with caps, and stop it on time.

Everything happens in the calling thread with one selector over the pipes and a pidfd
(a file descriptor that becomes readable when the child exits), so many runs can go at
once from many threads, a full pipe never deadlocks, and no ``preexec_fn`` is needed
(it is unsafe with threads and forces a slow ``fork`` of a large parent process).
"""

from __future__ import annotations

import errno
import logging
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 65536
_DRAIN_AFTER_EXIT_S = 0.5  # output still in flight after the process tree is gone
_POLL_WITHOUT_PIDFD_S = 0.002


@dataclass(frozen=True)
class Launch:
    """What to start: the full argv (wrappers included) and how long it may take."""

    argv: tuple[str, ...]
    cwd: str
    env: dict[str, str]
    stdin: bytes
    timeout_s: float
    max_output_bytes: int


@dataclass(frozen=True)
class Outcome:
    """Raw facts about one process; :mod:`polca.sandbox.runner` turns them into a status."""

    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    timed_out: bool
    output_exceeded: bool
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # 0.0 when unknown (see own_peak_rss_kb)
    spawn_error: str = ""  # set when the process could not be started at all


class _Capture:
    """Output of one stream, kept up to ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, data: bytes) -> bool:
        """Keep what fits; return True when the stream went over its limit."""
        room = self.limit - self.size
        if len(data) > room:
            data = data[: max(room, 0)]
            self.truncated = True
        self.chunks.append(data)
        self.size += len(data)
        return self.truncated

    def value(self) -> bytes:
        return b"".join(self.chunks)


def kill_process_group(pid: int) -> None:
    """SIGKILL the session/process group led by ``pid`` (started with a new session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def execute(launch: Launch, kill_tree: Callable[[int], None] = kill_process_group) -> Outcome:
    """Run ``launch`` to completion, timeout or output overflow; never raises for the child's sake.

    ``kill_tree(pid)`` must kill every process the run started; it is called on timeout,
    on output overflow, and once more after the main process exits, to remove any
    process left behind.
    """
    inherited_rss_kb = own_peak_rss_kb()
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            launch.argv,
            cwd=launch.cwd,
            env=launch.env,
            stdin=subprocess.PIPE if launch.stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        return not_started(f"{exc.strerror or exc}: {launch.argv[0]}", time.perf_counter() - started)
    return _Supervisor(proc, launch, kill_tree, started, inherited_rss_kb).run()


def supervise(proc: subprocess.Popen, launch: Launch, kill_tree: Callable[[int], None], started: float) -> Outcome:
    """Like :func:`execute`, for a process started ahead of time and handed its work at ``started``.

    ``proc`` must have been started with ``start_new_session=True`` and piped stdout and
    stderr; its stdin is a pipe that takes ``launch.stdin``, or ``None`` when not fed.
    """
    return _Supervisor(proc, launch, kill_tree, started, own_peak_rss_kb()).run()


def own_peak_rss_kb() -> int:
    """This process's peak RSS (VmHWM) in KB; 0 when unknown.

    A child's ``ru_maxrss`` starts at its parent's peak: on exec the kernel records the
    peak of the memory image being replaced, which for a process spawned from this one
    is this process's. A reported peak at or below this figure says nothing about the
    program, so it is reported as unknown (0.0) instead.
    """
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def not_started(message: str, wall_s: float) -> Outcome:
    return Outcome(None, None, b"", b"", False, False, False, False, wall_s, 0.0, 0.0, spawn_error=message)


class _Supervisor:
    """The select loop for one started process."""

    def __init__(
        self,
        proc: subprocess.Popen,
        launch: Launch,
        kill_tree: Callable[[int], None],
        started: float,
        inherited_rss_kb: int,
    ):
        self.proc = proc
        self.inherited_rss_kb = inherited_rss_kb
        self.launch = launch
        self.kill_tree = kill_tree
        self.started = started
        self.deadline = started + max(launch.timeout_s, 0.0)
        self.out = _Capture(launch.max_output_bytes)
        self.err = _Capture(launch.max_output_bytes)
        self.pending_stdin = memoryview(launch.stdin)
        self.timed_out = False
        self.output_exceeded = False
        self.killed = False
        self.wait_status: tuple[int, object] | None = None
        self.reaped_at = 0.0

    def run(self) -> Outcome:
        selector = selectors.DefaultSelector()
        pidfd = self._open_pidfd()
        try:
            self._register(selector, pidfd)
            self._loop(selector, pidfd)
        finally:
            selector.close()
            if pidfd is not None:
                os.close(pidfd)
            self._close_pipes()
            if self.wait_status is None:
                self._kill()
                self._reap(block=True)
        return self._outcome()

    def _open_pidfd(self) -> int | None:
        try:
            return os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            return None

    def _register(self, selector: selectors.BaseSelector, pidfd: int | None) -> None:
        for stream, capture in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            os.set_blocking(stream.fileno(), False)
            selector.register(stream.fileno(), selectors.EVENT_READ, capture)
        if self.proc.stdin is not None:
            os.set_blocking(self.proc.stdin.fileno(), False)
            selector.register(self.proc.stdin.fileno(), selectors.EVENT_WRITE, "stdin")
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ, "exit")

    def _loop(self, selector: selectors.BaseSelector, pidfd: int | None) -> None:
        while True:
            if self.wait_status is None and not self.killed and time.perf_counter() >= self.deadline:
                self.timed_out = True
                self._kill()
            if self.wait_status is not None:
                if not self._streams_open(selector) or time.perf_counter() >= self.reaped_at + _DRAIN_AFTER_EXIT_S:
                    return
            for key, _ in selector.select(self._select_timeout(pidfd)):
                self._handle(selector, key)
            if pidfd is None and self.wait_status is None:
                self._reap(block=False)

    def _select_timeout(self, pidfd: int | None) -> float:
        now = time.perf_counter()
        if self.wait_status is not None:
            return max(self.reaped_at + _DRAIN_AFTER_EXIT_S - now, 0.0)
        remaining = max(self.deadline - now, 0.0) if not self.killed else 0.05
        return remaining if pidfd is not None else min(remaining, _POLL_WITHOUT_PIDFD_S)

    def _streams_open(self, selector: selectors.BaseSelector) -> bool:
        return any(isinstance(key.data, _Capture) for key in selector.get_map().values())

    def _handle(self, selector: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
        if key.data == "exit":
            selector.unregister(key.fd)
            self._reap(block=True)
        elif key.data == "stdin":
            self._feed_stdin(selector, key.fd)
        else:
            self._read(selector, key.fd, key.data)

    def _read(self, selector: selectors.BaseSelector, fd: int, capture: _Capture) -> None:
        try:
            data = os.read(fd, _CHUNK_BYTES)
        except BlockingIOError:
            return
        if not data:
            selector.unregister(fd)
            return
        if capture.add(data) and not self.output_exceeded:
            self.output_exceeded = True
            self._kill()
        if capture.truncated:
            selector.unregister(fd)

    def _feed_stdin(self, selector: selectors.BaseSelector, fd: int) -> None:
        try:
            written = os.write(fd, self.pending_stdin[:_CHUNK_BYTES])
            self.pending_stdin = self.pending_stdin[written:]
        except BlockingIOError:
            return
        except OSError as exc:  # the child closed its stdin or exited: the rest is not wanted
            if exc.errno not in (errno.EPIPE, errno.EBADF):
                raise
            self.pending_stdin = self.pending_stdin[:0]
        if not self.pending_stdin:
            selector.unregister(fd)
            self.proc.stdin.close()

    def _kill(self) -> None:
        self.killed = True
        self.kill_tree(self.proc.pid)

    def _reap(self, block: bool) -> None:
        """Reap the main process once it has exited; kill what it left behind first.

        The tree is killed while the exited process is still a zombie, so its pid (and
        its process group id) cannot have been reused by an unrelated process yet.
        """
        if not block and os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            return
        self.kill_tree(self.proc.pid)
        _, status, rusage = os.wait4(self.proc.pid, 0)
        self.reaped_at = time.perf_counter()
        self.wait_status = (status, rusage)
        self.proc.returncode = os.waitstatus_to_exitcode(status)

    def _close_pipes(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()

    def _outcome(self) -> Outcome:
        status, rusage = self.wait_status
        exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return Outcome(
            exit_code=exit_code,
            signal=sig,
            stdout=self.out.value(),
            stderr=self.err.value(),
            stdout_truncated=self.out.truncated,
            stderr_truncated=self.err.truncated,
            timed_out=self.timed_out,
            output_exceeded=self.output_exceeded,
            wall_s=self.reaped_at - self.started,
            cpu_s=rusage.ru_utime + rusage.ru_stime,
            peak_rss_mb=rusage.ru_maxrss / 1024.0 if rusage.ru_maxrss > self.inherited_rss_kb else 0.0,
        )
