"""fast_p, geometric-mean speedup and the JSON report of a KernelBench run.

- ``fast_p`` is the share of ALL tasks whose candidate is correct and faster than the
  baseline by more than ``p`` (KernelBench's metric): a task without a correct candidate
  counts in the denominator. ``fast_0`` is therefore the share of correct tasks.
- A speedup above :data:`~polca.kernels_bench.results.AUDIT_SPEEDUP` (10x) is flagged and
  not counted until :meth:`KernelResult.confirm_audit` marks it confirmed: such numbers
  are far more often a broken check than a brilliant kernel.
- The geometric mean is ``exp(mean(log(speedup)))`` over all tasks, where a task that is
  not correct, not timed or awaiting audit counts as 1.0 (no change): failures neither
  reward nor punish the mean, and the mean stays defined when some tasks fail.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from polca.kernels_bench.results import SHRUNK_NOTE, Baseline, KernelResult

THRESHOLDS = (0.0, 1.0, 1.5, 2.0)
BASELINES: tuple[Baseline, ...] = ("eager", "compile")


def counted_speedup(result: KernelResult, baseline: Baseline = "eager") -> float | None:
    """The speedup that counts: None when incorrect, untimed or awaiting audit."""
    if result.needs_audit:
        return None
    return result.speedup(baseline)


def _total(results: Sequence[KernelResult], total_tasks: int | None) -> int:
    total = len(results) if total_tasks is None else total_tasks
    if total < len(results) or total <= 0:
        raise ValueError(
            f"total_tasks={total_tasks} must be positive and at least the {len(results)} results given; "
            "pass the number of problems attempted, or None to use len(results)."
        )
    return total


def fast_p(results: Sequence[KernelResult], p: float, baseline: Baseline = "eager", total_tasks: int | None = None) -> float:
    """Share of all tasks that are correct with a counted speedup above ``p``.

    ``p == 0`` counts every correct task, timed or not (unless awaiting audit).
    ``total_tasks`` is the number of problems attempted when some have no result at all.
    """
    total = _total(results, total_tasks)
    if p < 0:
        raise ValueError(f"p={p} must be >= 0 (fast_0 is the share of correct tasks).")
    hits = 0
    for result in results:
        if not result.correct or result.needs_audit:
            continue
        speedup = result.speedup(baseline)
        hits += p == 0 or (speedup is not None and speedup > p)
    return hits / total


def geometric_mean_speedup(results: Sequence[KernelResult], baseline: Baseline = "eager", total_tasks: int | None = None) -> float:
    """``exp(mean(log(s)))`` over all tasks; failures and missing tasks count as 1.0."""
    total = _total(results, total_tasks)
    logs = [math.log(s) for s in (counted_speedup(r, baseline) for r in results) if s is not None and s > 0]
    return math.exp(math.fsum(logs) / total)


@dataclass(frozen=True)
class Summary:
    """The headline numbers of a run."""

    tasks: int
    correct: int
    fast_p: dict[str, dict[str, float]]  # baseline -> "fast_1.5" -> share
    geomean_speedup: dict[str, float]  # baseline -> geometric mean
    needs_audit: tuple[str, ...]  # problem keys whose speedup waits for a person
    rules: tuple[str, ...] = ()  # the rule sets that produced the results (one, unless mixed)
    shrunk: bool = False  # some results ran on shrunk inputs: their timings are not kernel figures


def _label(p: float) -> str:
    return f"fast_{p:g}"


def summarize(results: Sequence[KernelResult], total_tasks: int | None = None) -> Summary:
    """fast_0/1/1.5/2 and the geometric mean, against eager and against torch.compile."""
    total = _total(results, total_tasks)
    return Summary(
        tasks=total,
        correct=sum(r.correct for r in results),
        fast_p={b: {_label(p): fast_p(results, p, b, total) for p in THRESHOLDS} for b in BASELINES},
        geomean_speedup={b: geometric_mean_speedup(results, b, total) for b in BASELINES},
        needs_audit=tuple(r.problem_key for r in results if r.needs_audit),
        rules=tuple(sorted({r.rules for r in results})),
        shrunk=any(r.shrunk for r in results),
    )


def report_dict(results: Sequence[KernelResult], total_tasks: int | None = None) -> dict[str, Any]:
    """The JSON-ready report: the summary and every result with its raw samples."""
    summary = asdict(summarize(results, total_tasks))
    summary["needs_audit"] = list(summary["needs_audit"])
    summary["rules"] = list(summary["rules"])
    if summary["shrunk"]:
        summary["timing_note"] = SHRUNK_NOTE
    return {"summary": summary, "results": [r.to_dict() for r in results]}


def write_report(path: str | Path, results: Sequence[KernelResult], total_tasks: int | None = None) -> Path:
    """Write :func:`report_dict` as JSON to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_dict(results, total_tasks), indent=1), encoding="utf-8")
    return path


def read_report(path: str | Path) -> tuple[tuple[KernelResult, ...], Summary]:
    """Read a report written by :func:`write_report`; the summary is recomputed from results."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "results" not in data:
        raise ValueError(f"{path} is not a polca kernel report: it has no 'results' list.")
    results = tuple(KernelResult.from_dict(item) for item in data["results"])
    return results, summarize(results, data.get("summary", {}).get("tasks"))
