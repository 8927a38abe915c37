"""Turn the raw facts of a finished process into a :class:`RunResult` with a status and a message."""

from __future__ import annotations

import signal

from polca.sandbox.limits import cpu_limit_s
from polca.sandbox.process import Outcome
from polca.sandbox.types import Limits, RunResult, Status

_MEMORY_ERROR_MARKERS = (b"MemoryError", b"std::bad_alloc", b"Cannot allocate memory", b"out of memory")


def truncation_marker(limit_bytes: int) -> bytes:
    """Appended to a stream cut at ``limit_bytes``, so nobody mistakes it for the whole output."""
    return f"\n[polca sandbox: output cut at {limit_bytes} bytes]\n".encode()


def to_result(
    outcome: Outcome,
    limits: Limits,
    backend: str,
    protections: tuple[str, ...],
    memory_hit: bool = False,
) -> RunResult:
    """The run's result. ``memory_hit`` is the backend's own evidence (cgroup failcnt, OOM kill)."""
    status, message = _classify(outcome, limits, memory_hit)
    marker = truncation_marker(limits.max_output_bytes)
    return RunResult(
        status=status,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        stdout=outcome.stdout + (marker if outcome.stdout_truncated else b""),
        stderr=outcome.stderr + (marker if outcome.stderr_truncated else b""),
        stdout_truncated=outcome.stdout_truncated,
        stderr_truncated=outcome.stderr_truncated,
        wall_s=outcome.wall_s,
        cpu_s=outcome.cpu_s,
        peak_rss_mb=outcome.peak_rss_mb,
        backend=backend,
        protections=protections,
        message=message,
    )


def sandbox_error(message: str, backend: str, protections: tuple[str, ...], wall_s: float = 0.0) -> RunResult:
    """A run the sandbox itself could not carry out (not the candidate's fault)."""
    return RunResult(
        "sandbox_error", None, None, b"", b"", False, False, wall_s, 0.0, 0.0, backend, protections, message
    )


def _classify(outcome: Outcome, limits: Limits, memory_hit: bool) -> tuple[Status, str]:
    if outcome.spawn_error:
        return "error", f"could not start the program: {outcome.spawn_error}"
    if outcome.output_exceeded:
        return "output_limit", f"output went over {limits.max_output_bytes} bytes on one stream; the run was stopped"
    if outcome.timed_out:
        return "timeout", f"still running after the {limits.timeout_s:g} s wall-clock limit; the process tree was killed"
    if memory_hit or _memory_error_in(outcome, limits):
        return "memory", f"went over the {limits.memory_mb} MB memory limit"
    if outcome.signal == signal.SIGXCPU or (outcome.signal == signal.SIGKILL and outcome.cpu_s >= cpu_limit_s(limits)):
        return "timeout", f"used up its CPU-time limit ({outcome.cpu_s:.2f} s of CPU)"
    if outcome.signal == signal.SIGXFSZ:
        return "error", f"wrote a file larger than the {limits.max_file_mb} MB limit"
    if outcome.signal is not None:
        return "killed", f"ended by signal {_signal_name(outcome.signal)}"
    if outcome.exit_code != 0:
        return "error", f"exited with code {outcome.exit_code}{_last_line(outcome.stderr)}"
    return "ok", "exited with code 0"


def _memory_error_in(outcome: Outcome, limits: Limits) -> bool:
    if limits.memory_mb is None or outcome.exit_code in (0, None):
        return False
    tail = outcome.stderr[-4096:]
    return any(marker in tail for marker in _MEMORY_ERROR_MARKERS)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return f": {lines[-1].strip()[:200]}" if lines else ""
