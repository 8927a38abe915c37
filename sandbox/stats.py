"""Timing statistics: per-side summaries, paired speedup with a bootstrap interval, verdict.

Everything here is pure arithmetic over raw samples in seconds; nothing is rounded.

The speedup estimator works on *paired per-round ratios*. A measurement interleaves the
two sides (round ``i`` times the baseline and the candidate back to back), so both samples
of one round see nearly the same machine state: a burst of load from a neighbour slows
both, and their ratio cancels most of it, where a ratio of two medians taken over the whole
run would not. The point estimate is the median of the per-round ratios, taken in log space
(``exp(median(log r))``: for an even count this is the geometric mean of the two middle
ratios), because on a shared machine a few rounds are hit by one-sided noise and the median
ignores them where a mean would not. The 95% interval is a percentile bootstrap of that same
statistic over rounds, drawn with a seeded numpy generator so a result can be reproduced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Verdict = Literal["faster", "slower", "no difference"]

MIN_SPEEDUP = 1.10
"""The least speedup that counts as "faster" (and its inverse as "slower")."""

DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 10_000


@dataclass(frozen=True)
class Summary:
    """Location and spread of one side's samples (seconds per pass over the workload)."""

    n: int
    median_s: float
    q1_s: float
    q3_s: float
    min_s: float
    max_s: float

    @property
    def rel_iqr(self) -> float:
        """Inter-quartile range relative to the median (0.02 means 2% spread)."""
        return (self.q3_s - self.q1_s) / self.median_s if self.median_s > 0 else math.inf


@dataclass(frozen=True)
class SpeedupEstimate:
    """Baseline time over candidate time: above 1 the candidate is faster."""

    speedup: float
    ci_low: float
    ci_high: float
    confidence: float
    n_rounds: int


def geometric_mean(values: Sequence[float]) -> float:
    """``exp(mean(log v))`` over strictly positive values."""
    arr = _positive_array(values, "values")
    return float(np.exp(np.mean(np.log(arr))))


def summarize(samples_s: Sequence[float]) -> Summary:
    """Median, quartiles and range of one side's samples."""
    arr = _positive_array(samples_s, "samples_s")
    q1, med, q3 = np.percentile(arr, [25, 50, 75])
    return Summary(
        n=int(arr.size),
        median_s=float(med),
        q1_s=float(q1),
        q3_s=float(q3),
        min_s=float(arr.min()),
        max_s=float(arr.max()),
    )


def bootstrap_ci(
    log_values: Sequence[float],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the median of ``log_values`` (stays in log space)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence={confidence!r} must lie strictly between 0 and 1, e.g. 0.95")
    if n_resamples < 100:
        raise ValueError(f"n_resamples={n_resamples!r} is too few for an interval; use >= 100")
    arr = np.asarray(log_values, dtype=float)
    if arr.size == 0:
        raise ValueError("log_values is empty: a bootstrap needs at least one value")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(n_resamples, arr.size))
    medians = np.median(arr[idx], axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(medians, [alpha, 1.0 - alpha])
    return float(low), float(high)


def paired_speedup(
    samples_a_s: Sequence[float],
    samples_b_s: Sequence[float],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> SpeedupEstimate:
    """Speedup of B (candidate) over A (baseline) from samples paired by round.

    ``samples_a_s[i]`` and ``samples_b_s[i]`` must come from the same round.
    """
    a = _positive_array(samples_a_s, "samples_a_s")
    b = _positive_array(samples_b_s, "samples_b_s")
    if a.size != b.size:
        raise ValueError(
            f"paired samples need equal counts, got {a.size} baseline and {b.size} candidate "
            "samples; pass the samples of complete rounds only"
        )
    log_ratios = np.log(a) - np.log(b)
    low, high = bootstrap_ci(
        log_ratios, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    return SpeedupEstimate(
        speedup=float(np.exp(np.median(log_ratios))),
        ci_low=float(np.exp(low)),
        ci_high=float(np.exp(high)),
        confidence=confidence,
        n_rounds=int(a.size),
    )


def verdict(estimate: SpeedupEstimate, *, min_speedup: float = MIN_SPEEDUP) -> Verdict:
    """"faster" needs speedup >= min_speedup and an interval wholly above 1; "slower" mirrors it."""
    if min_speedup < 1.0:
        raise ValueError(f"min_speedup={min_speedup!r} must be >= 1.0, e.g. {MIN_SPEEDUP}")
    if estimate.speedup >= min_speedup and estimate.ci_low > 1.0:
        return "faster"
    if estimate.speedup <= 1.0 / min_speedup and estimate.ci_high < 1.0:
        return "slower"
    return "no difference"


def _positive_array(values: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty flat sequence of numbers, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must hold finite positive times in seconds, got {arr.tolist()[:5]}...")
    return arr
