"""Compare the speed of a baseline and a candidate on the same workload, honestly.

Both sides load into one worker process inside the sandbox, so interpreter start-up and
imports never enter a sample. The worker calibrates a loop count per side so that one
sample lasts at least ``min_sample_s``, runs ``warmup`` untimed rounds, then ``rounds``
interleaved rounds whose order alternates (A B, B A, A B, ...) so neither side always runs
first. A sample is the time of one pass over all inputs (each input called once), in
seconds, measured with ``perf_counter`` around the calls only: fresh unpickled copies of
the inputs are prepared outside the clock, so a function that mutates its input is timed
on the input it was given. Statistics live in :mod:`polca.sandbox.stats`.
"""

from __future__ import annotations

import base64
import logging
import math
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
from polca.sandbox.target import InputItem, Target, encode_inputs, run_worker, target_job
from polca.sandbox.types import BackendName, Limits

logger = logging.getLogger(__name__)

MeasureStatus = Literal["ok", "error", "timeout", "sandbox_error"]


@dataclass(frozen=True)
class MeasureResult:
    """Raw samples, per-side summaries, the speedup of B over A and its verdict.

    ``status != "ok"`` means no verdict could be reached: ``failed_side`` names the side
    ("baseline" or "candidate") whose code failed when known, ``message`` says why, and the
    samples are empty. ``order`` lists the sides in the order they were timed.
    """

    status: MeasureStatus
    verdict: Verdict | None
    speedup: float | None
    ci_low: float | None
    ci_high: float | None
    samples_a_s: tuple[float, ...]
    samples_b_s: tuple[float, ...]
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

    def describe(self) -> str:
        """One line for people and proposers, rounded for display only."""
        if self.status != "ok":
            return f"measurement {self.status}: {self.failed_side or 'run'}: {self.message}"
        return (
            f"{self.verdict}: speedup {self.speedup:.3f}x "
            f"(95% CI {self.ci_low:.3f}-{self.ci_high:.3f}), baseline median "
            f"{self.summary_a.median_s * 1e3:.3f} ms, candidate median {self.summary_b.median_s * 1e3:.3f} ms "
            f"per pass, {len(self.samples_a_s)} rounds"
        )


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
    min_speedup: float = MIN_SPEEDUP,
    fresh_inputs: bool = True,
    timeout_s: float | None = None,
    limits: Limits | None = None,
) -> MeasureResult:
    """Time ``candidate`` against ``baseline`` on ``inputs``; B over A above 1 is faster.

    ``timeout_s`` bounds the whole measurement (default: generous from the sample budget);
    a timeout or a side that raises gives a result with that status, never an exception.
    ``fresh_inputs=False`` reuses one copy of each input (only for functions that do not
    mutate their arguments; it saves memory and preparation time).
    """
    _check_args(baseline, candidate, inputs, min_sample_s, rounds, warmup)
    encoded = encode_inputs(inputs, script=baseline.is_script)
    spec_a, files = target_job(baseline, "a")
    spec_b, files_b = target_job(candidate, "b")
    files.update(files_b)
    job = {"mode": "measure", "targets": {"a": spec_a, "b": spec_b},
           "inputs": [_b64(e) for e in encoded], "min_sample_s": min_sample_s,
           "rounds": rounds, "warmup": warmup, "fresh_inputs": fresh_inputs}
    budget_s = timeout_s if timeout_s is not None else 60.0 + 6 * (rounds + warmup + 4) * min_sample_s
    run_limits = _with_timeout(limits or Limits(), budget_s)
    reply = run_worker(job, files, backend=backend, limits=run_limits)
    base = {"min_sample_s": min_sample_s, "seed": seed}
    if reply.answer is None:
        status = "timeout" if reply.run.status == "timeout" else "sandbox_error"
        return _failed(status, None, reply.failure_message(), **base)
    if reply.answer.get("status") != "ok":
        side = {"a": "baseline", "b": "candidate"}.get(reply.answer.get("side"))
        return _failed("error", side, reply.answer.get("message", ""), **base)
    return _from_samples(reply.answer, min_speedup=min_speedup, **base)


def _from_samples(answer: dict, *, min_sample_s: float, seed: int, min_speedup: float) -> MeasureResult:
    samples_a, samples_b = tuple(answer["samples_a_s"]), tuple(answer["samples_b_s"])
    estimate = _estimate(samples_a, samples_b, seed)
    return MeasureResult(
        status="ok",
        verdict=verdict(estimate, min_speedup=min_speedup),
        speedup=estimate.speedup,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        samples_a_s=samples_a,
        samples_b_s=samples_b,
        summary_a=summarize(samples_a),
        summary_b=summarize(samples_b),
        loops_a=answer["loops_a"],
        loops_b=answer["loops_b"],
        order=tuple(answer["order"]),
        calibration_a_s=answer["calibration_a_s"],
        calibration_b_s=answer["calibration_b_s"],
        min_sample_s=min_sample_s,
        seed=seed,
    )


def _estimate(samples_a: tuple[float, ...], samples_b: tuple[float, ...], seed: int) -> SpeedupEstimate:
    # A pass can be too quick for the clock when min_sample_s is tiny; never divide by 0.
    floor_s = 1e-12
    return paired_speedup([max(s, floor_s) for s in samples_a], [max(s, floor_s) for s in samples_b], seed=seed)


def _failed(status: MeasureStatus, side: str | None, message: str, *, min_sample_s: float, seed: int) -> MeasureResult:
    logger.info("measurement %s (%s): %s", status, side or "run", message)
    return MeasureResult(
        status=status, verdict=None, speedup=None, ci_low=None, ci_high=None,
        samples_a_s=(), samples_b_s=(), summary_a=None, summary_b=None, loops_a=0, loops_b=0,
        order=(), calibration_a_s=0.0, calibration_b_s=0.0, min_sample_s=min_sample_s,
        seed=seed, failed_side=side, message=message,
    )


def _check_args(baseline, candidate, inputs, min_sample_s, rounds, warmup) -> None:
    for name, target in (("baseline", baseline), ("candidate", candidate)):
        if not isinstance(target, Target):
            raise TypeError(f"{name} must be a Target (source + qualname), got {type(target).__name__}")
    if baseline.is_script != candidate.is_script:
        raise ValueError("baseline and candidate must both be functions or both be scripts (qualname=None)")
    if not inputs:
        raise ValueError("inputs is empty: a measurement needs at least one input to call the code with")
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
