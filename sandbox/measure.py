"""Compare the speed of a baseline and a candidate on the same workload, honestly.

Both sides load into one worker process inside the sandbox, so interpreter start-up and
imports never enter a sample. The worker calibrates a loop count per side so that one
sample lasts at least ``min_sample_s``, runs ``warmup`` untimed rounds, then ``rounds``
interleaved rounds whose order alternates (A B, B A, A B, ...) so neither side always runs
first. A sample is the time of one pass over all inputs (each input called once), in
seconds, taken around the calls only: fresh unpickled copies of the inputs are prepared
outside the clock, so a function that mutates its input is timed on the input it was given.
When one call of each side leaves every input equal to a fresh copy, one copy per input
is reused instead (``inputs_reused``): preparing a fresh copy of a large list for every
microsecond-long call would cost far more than the calls. A returned iterator is run to its end inside the clock, so lazy
code is timed doing its work. Module-level state persists across calls: a candidate that
memoizes is timed mostly on cache hits, so the inputs should be as varied as real use.
``cold=True`` removes that state: the module's code is executed again before every call
(off the clock), so each call runs on a fresh module, as a first call in a new process
would, and each call is timed alone.

Which clock. Every sample is read on two clocks: wall time (``perf_counter``) and the
worker process's CPU time (``process_time``, all its threads). On a shared machine wall
time also counts the time the worker waits for a core: on a 2-core machine at load 6 the
per-round ratio of a function against itself spread by 12-27% (inter-quartile) on wall
time and by 1-2% on CPU time. So the verdict uses CPU time by default (``clock="cpu"``).
CPU time cannot see work done off the process's CPUs (sleeping, waiting on a child process
or on I/O) or the benefit of running on more cores, so each side's CPU share (CPU time
over wall time, median over rounds) is compared: when the two shares differ by more than
:data:`MAX_CPU_SHARE_RATIO`, the sides do not spend their time alike and the verdict falls
back to wall time (``clock_used == "wall"``). Both clocks' raw samples are kept.
Statistics live in :mod:`polca.sandbox.stats`.
"""

from __future__ import annotations

import base64
import logging
import math
import re
import shutil
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from polca.sandbox.stats import (
    MIN_SPEEDUP,
    SpeedupEstimate,
    Summary,
    Verdict,
    paired_speedup,
    summarize,
    verdict,
)
from polca.sandbox.target import InputItem, Target, encode_inputs, pair_job, run_worker, target_job
from polca.sandbox.types import BackendName, Limits

logger = logging.getLogger(__name__)

MeasureStatus = Literal["ok", "error", "timeout", "sandbox_error"]
Clock = Literal["cpu", "wall"]

_WORKER_SHARE = 0.8  # of timeout_s the worker may spend timing; the rest is start-up and margin

MAX_CPU_SHARE_RATIO = 4.0 / 3.0
"""Largest ratio between the two sides' CPU shares for which CPU time can judge them."""
MIN_CPU_TICKS_PER_SAMPLE = 10
"""The CPU clock judges only samples at least this many of its ticks long: 10% or finer per
sample, finer still as a median over rounds. (The stability benchmark's samples, 50 ms at a
CPU share of 25-37% on a loaded machine, were 12-18 one-millisecond ticks, and judged right.)"""


@dataclass(frozen=True)
class MeasureResult:
    """Raw samples, per-side summaries, the speedup of B over A and its verdict.

    ``samples_a_s``/``samples_b_s`` are on the clock the verdict used (``clock_used``);
    ``wall_samples_*`` and ``cpu_samples_*`` keep both clocks. ``status != "ok"`` means no
    verdict could be reached: ``failed_side`` names the side ("baseline" or "candidate")
    whose code failed when known, ``message`` says why, and the samples are empty.
    ``order`` lists the sides in the order they were timed.
    """

    status: MeasureStatus
    verdict: Verdict | None
    speedup: float | None
    ci_low: float | None
    ci_high: float | None
    clock_used: Clock | None
    samples_a_s: tuple[float, ...]
    samples_b_s: tuple[float, ...]
    wall_samples_a_s: tuple[float, ...]
    wall_samples_b_s: tuple[float, ...]
    cpu_samples_a_s: tuple[float, ...]
    cpu_samples_b_s: tuple[float, ...]
    cpu_share_a: float | None
    cpu_share_b: float | None
    summary_a: Summary | None
    summary_b: Summary | None
    loops_a: int
    loops_b: int
    order: tuple[str, ...]
    calibration_a_s: float
    calibration_b_s: float
    min_sample_s: float
    seed: int
    failed_side: str | None = None
    message: str = ""
    inputs_reused: bool = False  # both sides left every input unchanged: one copy per input was reused

    def describe(self) -> str:
        """One line for people and proposers, rounded for display only."""
        if self.status != "ok":
            return f"measurement {self.status}: {self.failed_side or 'run'}: {self.message}"
        return (
            f"{self.verdict}: speedup {self.speedup:.3f}x "
            f"(95% CI {self.ci_low:.3f}-{self.ci_high:.3f}, {self.clock_used} time), baseline median "
            f"{format_duration(self.summary_a.median_s)}, candidate median "
            f"{format_duration(self.summary_b.median_s)} per pass, {len(self.samples_a_s)} rounds"
        )


def format_duration(seconds: float) -> str:
    """``seconds`` to four significant digits in s, ms or µs, for display only: a fixed
    ``.3f`` ms showed a 1.26 µs candidate as ``0.001 ms``."""
    if seconds >= 1.0:
        return f"{seconds:.4g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.4g} ms"
    return f"{seconds * 1e6:.4g} µs"


def measure(
    baseline: Target,
    candidate: Target,
    inputs: Sequence[InputItem],
    *,
    backend: BackendName = "auto",
    min_sample_s: float = 0.05,
    rounds: int = 20,
    warmup: int = 2,
    seed: int = 0,
    clock: Clock = "cpu",
    min_speedup: float = MIN_SPEEDUP,
    fresh_inputs: bool = True,
    timeout_s: float | None = None,
    limits: Limits | None = None,
    cold: bool = False,
) -> MeasureResult:
    """Time ``candidate`` against ``baseline`` on ``inputs``; B over A above 1 is faster.

    ``clock`` picks the clock the verdict prefers (see the module docstring for the
    fallback from "cpu" to "wall"). ``timeout_s`` bounds the whole measurement (default:
    generous from the sample budget); when slow code would overrun it, fewer rounds are
    timed (at least 3; ``len(samples_a_s)`` says how many). A timeout or a side that raises
    gives a result with that status, never an exception. ``fresh_inputs=False`` reuses one copy of each input
    (only for functions that do not mutate their arguments; it saves preparation time); with the
    default, copies are reused only when a first call of each side left every input unchanged.
    ``cold=True`` runs every call on a freshly executed module (module docstring).
    """
    _check_targets(baseline, candidate, inputs)
    _check_settings(min_sample_s, rounds, warmup)
    if clock not in ("cpu", "wall"):
        raise ValueError(f"clock={clock!r} is unknown; choose 'cpu' (default, robust to load) or 'wall'")
    encoded = encode_inputs(inputs, script=baseline.is_script)
    specs, files = pair_job(baseline, candidate)
    timeout_s = timeout_s if timeout_s is not None else 60.0 + 6 * (rounds + warmup + 4) * min_sample_s
    job = {"mode": "measure", "targets": specs,
           "inputs": [_b64(e) for e in encoded], "min_sample_s": min_sample_s,
           "rounds": rounds, "warmup": warmup, "fresh_inputs": fresh_inputs,
           "budget_s": _WORKER_SHARE * timeout_s, "cold": cold}
    run_limits = _with_timeout(limits or Limits(), timeout_s)
    reply = run_worker(job, files, backend=backend, limits=run_limits)
    base = {"min_sample_s": min_sample_s, "seed": seed}
    if reply.answer is None:
        status = reply.failure_status
        return _failed(status, None, reply.failure_message(), **base)
    if reply.answer.get("status") != "ok":
        side = {"a": "baseline", "b": "candidate"}.get(reply.answer.get("side"))
        return _failed("error", side, reply.answer.get("message", ""), **base)
    return _from_samples(reply.answer, clock=clock, min_speedup=min_speedup, **base)


def choose_clock(
    preferred: Clock,
    wall_a_s: Sequence[float],
    wall_b_s: Sequence[float],
    cpu_a_s: Sequence[float],
    cpu_b_s: Sequence[float],
) -> tuple[Clock, float, float]:
    """The clock that can judge these samples, with each side's CPU share (CPU / wall)."""
    share_a = statistics.median(c / max(w, 1e-12) for c, w in zip(cpu_a_s, wall_a_s, strict=True))
    share_b = statistics.median(c / max(w, 1e-12) for c, w in zip(cpu_b_s, wall_b_s, strict=True))
    if preferred == "wall":
        return "wall", share_a, share_b
    lopsided = max(share_a, share_b) > MAX_CPU_SHARE_RATIO * max(min(share_a, share_b), 1e-12)
    return ("wall" if lopsided else "cpu"), share_a, share_b


def cpu_clock_too_coarse(answer: dict) -> bool:
    """Whether the worker's CPU clock ticks too coarsely for its shortest raw sample.

    Inside some namespaces ``process_time`` advances a scheduler tick at a time (1 ms
    here); a sample of a few ticks then reads 0 or 2x its length, and only wall time can
    judge it. A sample must span :data:`MIN_CPU_TICKS_PER_SAMPLE` ticks.
    """
    step_s = answer.get("cpu_clock_step_s", 0.0)
    shortest_s = min(
        min(answer["cpu_samples_a_s"]) * answer["loops_a"],
        min(answer["cpu_samples_b_s"]) * answer["loops_b"],
    )
    return shortest_s < MIN_CPU_TICKS_PER_SAMPLE * step_s


def _from_samples(answer: dict, *, clock: Clock, min_sample_s: float, seed: int, min_speedup: float) -> MeasureResult:
    wall_a, wall_b = tuple(answer["samples_a_s"]), tuple(answer["samples_b_s"])
    cpu_a, cpu_b = tuple(answer["cpu_samples_a_s"]), tuple(answer["cpu_samples_b_s"])
    clock_used, share_a, share_b = choose_clock(clock, wall_a, wall_b, cpu_a, cpu_b)
    message = ""
    if clock_used == "cpu" and cpu_clock_too_coarse(answer):
        clock_used = "wall"
        message = (f"the CPU clock advances {answer['cpu_clock_step_s'] * 1e3:.3g} ms at a time here, "
                   "too coarse for samples this short, so wall time judges (raise min_sample_s)")
        logger.info("measurement: %s", message)
    elif clock_used != clock:
        message = (f"CPU shares differ (baseline {share_a:.2f}, candidate {share_b:.2f}): "
                   "the sides spend time off the CPU or on more cores differently, so wall time judges")
        logger.info("measurement: %s", message)
    samples_a, samples_b = (cpu_a, cpu_b) if clock_used == "cpu" else (wall_a, wall_b)
    estimate = _estimate(samples_a, samples_b, seed)
    return MeasureResult(
        status="ok", verdict=verdict(estimate, min_speedup=min_speedup), speedup=estimate.speedup,
        ci_low=estimate.ci_low, ci_high=estimate.ci_high, clock_used=clock_used,
        samples_a_s=samples_a, samples_b_s=samples_b, wall_samples_a_s=wall_a, wall_samples_b_s=wall_b,
        cpu_samples_a_s=cpu_a, cpu_samples_b_s=cpu_b, cpu_share_a=share_a, cpu_share_b=share_b,
        summary_a=_summary(samples_a), summary_b=_summary(samples_b),
        loops_a=answer["loops_a"], loops_b=answer["loops_b"], order=tuple(answer["order"]),
        calibration_a_s=answer["calibration_a_s"], calibration_b_s=answer["calibration_b_s"],
        min_sample_s=min_sample_s, seed=seed, message=message, inputs_reused=answer.get("inputs_reused", False),
    )


# A pass can be too quick for a clock's resolution when min_sample_s is tiny; never divide by 0.
_FLOOR_S = 1e-12


def _summary(samples_s: tuple[float, ...]) -> Summary:
    return summarize([max(s, _FLOOR_S) for s in samples_s])


def _estimate(samples_a: tuple[float, ...], samples_b: tuple[float, ...], seed: int) -> SpeedupEstimate:
    return paired_speedup([max(s, _FLOOR_S) for s in samples_a], [max(s, _FLOOR_S) for s in samples_b], seed=seed)


def _failed(status: MeasureStatus, side: str | None, message: str, *, min_sample_s: float, seed: int) -> MeasureResult:
    logger.info("measurement %s (%s): %s", status, side or "run", message)
    return MeasureResult(
        status=status, verdict=None, speedup=None, ci_low=None, ci_high=None, clock_used=None,
        samples_a_s=(), samples_b_s=(), wall_samples_a_s=(), wall_samples_b_s=(),
        cpu_samples_a_s=(), cpu_samples_b_s=(), cpu_share_a=None, cpu_share_b=None,
        summary_a=None, summary_b=None, loops_a=0, loops_b=0, order=(), calibration_a_s=0.0,
        calibration_b_s=0.0, min_sample_s=min_sample_s, seed=seed, failed_side=side, message=message,
    )


def _check_targets(baseline, candidate, inputs) -> None:
    for name, target in (("baseline", baseline), ("candidate", candidate)):
        if not isinstance(target, Target):
            raise TypeError(f"{name} must be a Target (source + qualname), got {type(target).__name__}")
    if baseline.is_script != candidate.is_script:
        raise ValueError("baseline and candidate must both be functions or both be scripts (qualname=None)")
    if not inputs:
        raise ValueError("inputs is empty: a measurement needs at least one input to call the code with")


def _check_settings(min_sample_s: float, rounds: int, warmup: int) -> None:
    if not (math.isfinite(min_sample_s) and min_sample_s > 0):
        raise ValueError(f"min_sample_s={min_sample_s!r} must be a positive number of seconds, e.g. 0.05")
    if rounds < 3:
        raise ValueError(f"rounds={rounds!r} is too few for an interval; use at least 3 (20 is the default)")
    if warmup < 0:
        raise ValueError(f"warmup={warmup!r} must be >= 0")


def _with_timeout(limits: Limits, timeout_s: float) -> Limits:
    return replace(limits, timeout_s=timeout_s, cpu_s=None if limits.cpu_s is None else max(limits.cpu_s, timeout_s))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- calls under a time limit

CallStatus = Literal["returned", "raised", "exhausted", "over_limit", "unbuilt"]


@dataclass(frozen=True)
class CallTime:
    """How one call ended within its CPU-time limit: ``error`` is the exception's type name
    when it ``raised``, or ran out of memory or recursion depth (``exhausted``: a limit of
    where it runs, not its behaviour); ``unbuilt``: the input could not be built (a
    constructor refused it)."""

    status: CallStatus
    error: str | None
    cpu_s: float


@dataclass(frozen=True)
class CallTimes:
    """One :class:`CallTime` per input, in order; ``status != "ok"``: the run itself failed
    (``message`` says why) and ``calls`` is empty."""

    status: MeasureStatus
    calls: tuple[CallTime, ...]
    message: str = ""


def time_calls(target: Target, inputs: Sequence[InputItem], *, call_limit_s: float, backend: BackendName = "auto",
               limits: Limits | None = None) -> CallTimes:
    """Call ``target`` (a function) once on each input in one worker, each call stopped once it
    has used ``call_limit_s`` of CPU time: which inputs it answers quickly, for the price of
    one run however many inputs are slow. ``limits`` bound the whole run (code in C that
    never returns to the interpreter is stopped only by its timeout)."""
    if target.is_script:
        raise ValueError("time_calls calls a function; give a Target with a qualname")
    if call_limit_s <= 0:
        raise ValueError(f"call_limit_s={call_limit_s} must be positive")
    spec, files = target_job(target, "a")
    limits = limits or Limits()
    job = {"mode": "calls", "targets": {"a": spec}, "call_limit_s": call_limit_s, "memory_mb": limits.memory_mb,
           "inputs": [_b64(e) for e in encode_inputs(inputs, script=False)]}
    reply = run_worker(job, files, backend=backend, limits=limits)
    if reply.answer is None:
        return CallTimes(reply.failure_status, (), reply.failure_message())
    if reply.answer.get("status") != "ok":
        return CallTimes("error", (), reply.answer.get("message", ""))
    return CallTimes("ok", tuple(CallTime(c["status"], c["error"], c["cpu_s"]) for c in reply.answer["calls"]))


# ---------------------------------------------------------------- instruction counts

InstructionTool = Literal["auto", "callgrind", "perf"]
CountStatus = Literal["ok", "unavailable", "error", "timeout", "sandbox_error"]
_COUNT_PATTERNS = {
    "callgrind": re.compile(rb"Collected\s*:\s*(\d+)"),
    "perf": re.compile(rb"^(\d+),[^,]*,instructions", re.MULTILINE),
}


@dataclass(frozen=True)
class InstructionCounts:
    """Instructions per pass over the inputs, per side, and their ratio (A / B).

    Counts are nearly free of noise, so they suit comparisons on a busy machine; they do
    not see cache misses or memory stalls, so they complement timing rather than replace
    it. Each side is counted twice, with the inputs prepared but not called and with
    ``passes`` calls, and the difference is divided by ``passes``: start-up, imports and
    unpickling cancel out. ``status == "unavailable"`` means no usable counter here.
    """

    status: CountStatus
    tool: str | None
    instructions_a: float | None
    instructions_b: float | None
    ratio: float | None
    message: str = ""


def count_instructions(
    baseline: Target,
    candidate: Target,
    inputs: Sequence[InputItem],
    *,
    passes: int = 3,
    tool: InstructionTool = "auto",
    backend: BackendName = "auto",
    timeout_s: float = 600.0,
) -> InstructionCounts:
    """Count instructions of both sides with ``perf stat`` or ``valgrind --tool=callgrind``.

    ``tool="auto"`` tries perf, then callgrind. The counter runs on this machine around the
    sandboxed worker, so it needs a backend that runs processes here (not docker).
    """
    _check_targets(baseline, candidate, inputs)
    if passes < 1:
        raise ValueError(f"passes={passes!r} must be >= 1")
    if tool not in ("auto", "callgrind", "perf"):
        raise ValueError(f"tool={tool!r} is unknown; choose 'auto', 'callgrind' or 'perf'")
    reasons = []
    for name in ("perf", "callgrind") if tool == "auto" else (tool,):
        counts = _count_with(name, baseline, candidate, inputs, passes, backend, timeout_s)
        if counts.status != "unavailable":
            return counts
        reasons.append(counts.message)
    return InstructionCounts("unavailable", None, None, None, None, "; ".join(reasons))


def _count_with(tool, baseline, candidate, inputs, passes, backend, timeout_s) -> InstructionCounts:
    prefix = _counter_prefix(tool)
    if prefix is None:
        return InstructionCounts("unavailable", tool, None, None, None, f"{tool}: not installed")
    encoded = [_b64(e) for e in encode_inputs(inputs, script=baseline.is_script)]
    specs, files = pair_job(baseline, candidate)
    limits = Limits(timeout_s=timeout_s, memory_mb=None)
    per_side = {}
    for side in ("a", "b"):
        totals = []
        for calls in (0, passes):
            job = {"mode": "count", "targets": specs, "side": side,
                   "inputs": encoded, "passes": passes, "calls": calls}
            reply = run_worker(job, files, backend=backend, limits=limits, command_prefix=prefix,
                               env={"PYTHONHASHSEED": "0"})
            found = _COUNT_PATTERNS[tool].search(reply.run.stderr)
            if reply.answer is None or reply.answer.get("status") != "ok" or found is None:
                return _count_failure(tool, side, reply, found is None)
            totals.append(int(found.group(1)))
        per_side[side] = max(totals[1] - totals[0], 1) / passes
    ratio = per_side["a"] / per_side["b"]
    return InstructionCounts("ok", tool, per_side["a"], per_side["b"], ratio,
                             f"{tool}: baseline {per_side['a']:.4g}, candidate {per_side['b']:.4g} instructions per pass")


def _counter_prefix(tool: str) -> tuple[str, ...] | None:
    if tool == "perf":
        perf = shutil.which("perf")
        return (perf, "stat", "-x,", "-e", "instructions:u", "--", sys.executable) if perf else None
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    return (valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable)


def _count_failure(tool: str, side: str, reply, no_count: bool) -> InstructionCounts:
    who = {"a": "baseline", "b": "candidate"}[side]
    if reply.answer is not None and reply.answer.get("status") != "ok":
        return InstructionCounts("error", tool, None, None, None, f"{who}: {reply.answer.get('message', '')}")
    if reply.run.status == "timeout":
        return InstructionCounts("timeout", tool, None, None, None, f"{who}: {reply.failure_message()}")
    if no_count:
        tail = reply.run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        return InstructionCounts("unavailable", tool, None, None, None,
                                 f"{tool}: gave no instruction count ({' '.join(tail) or 'no output'})")
    return InstructionCounts("sandbox_error", tool, None, None, None, reply.failure_message())
