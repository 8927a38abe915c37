"""The result of a POLCA run, and the confidence interval it reports."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from polca.optimizer.contracts import Candidate

# Two-sided 95% Student t quantiles by degrees of freedom; beyond 30 the normal 1.96.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def confidence_interval_95(scores: Sequence[float]) -> tuple[float, float]:
    """Student-t 95% interval of the mean; (nan, nan) with fewer than two scores."""
    n = len(scores)
    if n < 2:
        return (math.nan, math.nan)
    mean = math.fsum(scores) / n
    t = _T95[n - 2] if n - 1 <= len(_T95) else 1.96
    half = t * statistics.stdev(scores) / math.sqrt(n)
    return (mean - half, mean + half)


@dataclass(frozen=True)
class OptimizationResult:
    """What ``optimize`` returns.

    ``best_score`` and the interval come from the final selection's scores (the full
    validation set, or all instances) when ``num_pool > 0``, else from the best
    candidate's whole history. ``history_*`` always describe that whole history.
    ``runners_up``: the next candidates by mean score over their search history, best
    first, each with that mean (the best itself is not among them), so a caller whose own
    final check refuses the best can try the next ones.
    """

    best: Candidate
    best_score: float
    ci_low: float
    ci_high: float
    num_final_scores: int
    history_mean: float
    history_num_scores: int
    iterations: int
    evaluations: int
    proposals: int
    cost_usd: float
    wall_s: float
    num_candidates: int
    stop_reason: str
    summary: str
    run_id: str | None
    runners_up: tuple[tuple[Candidate, float], ...] = ()
