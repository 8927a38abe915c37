"""The figures of one held-out run and its markdown table (pure functions over records).

Headline counts: oracle built (searched) / refused (by reason class) / crashed / hung,
changes offered, sped up >= 1.10x (offered, reported speedup >= 1.10, and equal to the
original on every held-out input), wrong changes offered (held-out inputs tell them
apart), the geometric mean of the counted speedup over ALL targets (a target that was
refused, crashed, hung, offered nothing, or offered a wrong or unjudged change counts
1.0), and wall time per target.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

MIN_COUNTED_SPEEDUP = 1.10


class RecordLike(Protocol):
    name: str
    kinds: list[str]
    outcome: str
    reason_class: str
    reason: str
    wall_s: float
    improved: bool
    speedup: float | None
    judge: str | None
    traceback_in_stderr: bool
    model_served: list[str]
    offered_matches: str


def counted_speedup(record: RecordLike) -> float:
    """The speedup the geometric mean uses: polca's reported one when the held-out judge agrees, else 1.0."""
    if record.improved and record.judge == "equal" and record.speedup:
        return record.speedup
    return 1.0


def sped_up(record: RecordLike) -> bool:
    return counted_speedup(record) >= MIN_COUNTED_SPEEDUP


def summarize(records: Sequence[RecordLike]) -> dict[str, Any]:
    """The headline figures of a run."""
    n = len(records)
    walls = [r.wall_s for r in records]
    outcomes = Counter(r.outcome for r in records)
    return {
        "targets": n,
        "searched": outcomes["searched"],
        "refused": outcomes["refused"],
        "refused_by_reason": dict(sorted(Counter(r.reason_class for r in records if r.outcome == "refused").items())),
        "crashed": outcomes["crash"],
        "hung": outcomes["hang"],
        "offered": sum(r.improved for r in records),
        "sped_up": sum(sped_up(r) for r in records),
        "wrong_offered": sum(r.judge == "wrong" for r in records),
        "unjudged_offered": sum(r.judge == "unjudged" for r in records),
        "tracebacks_in_stderr": sum(r.traceback_in_stderr for r in records),
        "geomean_speedup": math.exp(sum(math.log(counted_speedup(r)) for r in records) / n) if n else 1.0,
        "wall_s_median": statistics.median(walls) if walls else 0.0,
        "wall_s_max": max(walls) if walls else 0.0,
        "wall_s_sum": sum(walls),
    }


def peer_summary(records: Sequence[Any]) -> dict[str, Any] | None:
    """With ``--peer ruff``: per side (ruff, polca), files changed, right, wrong, sped up and
    the geometric mean of the speedups both timed alike on held-out inputs (failures 1.0)."""
    rows = [r.peer for r in records if getattr(r, "peer", None)]
    if not rows:
        return None
    out: dict[str, Any] = {}
    for side in ("ruff", "polca"):
        timed = [row[side] for row in rows]
        out[side] = {
            "changed": sum(t["changed"] for t in timed),
            "wrong": sum(t["judge"] == "wrong" for t in timed),
            "sped_up": sum(t["counted"] >= MIN_COUNTED_SPEEDUP for t in timed),
            "geomean_speedup": math.exp(sum(math.log(t["counted"]) for t in timed) / len(timed)),
        }
    return out


def _peer_rows(records: Sequence[Any]) -> list[str]:
    summary = peer_summary(records)
    if summary is None:
        return []
    lines = ["### Beside ruff's fixes (`ruff check --select PERF,FURB,C4,SIM --fix --unsafe-fixes`)", "",
             "Both changes judged on held-out inputs and timed against the original the same way, in one run.",
             "", "| tool | files changed | wrong | sped up >= 1.10x | geomean over all targets |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for side, row in summary.items():
        lines.append(f"| {side} | {row['changed']} | {row['wrong']} | {row['sped_up']} | "
                     f"{row['geomean_speedup']:.3f}x |")
    return [*lines, ""]


def strength_summary(records: Sequence[RecordLike]) -> dict[str, Any]:
    """The oracle's strength over the function targets polca searched: how many were
    measured, median line and branch coverage, the mutation score pooled over all mutants,
    and how many were labelled weakly verified."""
    measured = [t for r in records for t in r.targets if t.get("coverage_lines") is not None
                or t.get("mutation_score")]
    lines = [t["coverage_lines"] for t in measured if t.get("coverage_lines") is not None]
    branches = [t["coverage_branches"] for t in measured if t.get("coverage_branches") is not None]
    killed = sum(t["mutation_score"][0] for t in measured if t.get("mutation_score"))
    total = sum(t["mutation_score"][1] for t in measured if t.get("mutation_score"))
    return {"targets_measured": len(measured),
            "function_targets": sum(1 for r in records for t in r.targets if t.get("status") != "excluded"),
            "line_coverage_median": statistics.median(lines) if lines else None,
            "branch_coverage_median": statistics.median(branches) if branches else None,
            "mutants_killed": killed, "mutants_total": total,
            "weakly_verified": sum(t.get("verification") == "weakly verified" for t in measured)}


def _strength_rows(records: Sequence[RecordLike]) -> list[str]:
    s = strength_summary(records)
    if not s["targets_measured"]:
        return []

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.0%}"

    score = f"{s['mutants_killed']}/{s['mutants_total']}" + (
        f" ({s['mutants_killed'] / s['mutants_total']:.0%})" if s["mutants_total"] else "")
    return ["### Oracle strength (function targets polca checked)", "",
            "| measured / checked targets | median line coverage | median branch coverage | mutants caught | weakly verified |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {s['targets_measured']} / {s['function_targets']} | {pct(s['line_coverage_median'])} | "
            f"{pct(s['branch_coverage_median'])} | {score} | {s['weakly_verified']} |", ""]


def by_kind(records: Sequence[RecordLike]) -> dict[str, dict[str, int]]:
    """Per kind tag: targets, built, refused, crashed, hung, sped up, wrong offered."""
    table: dict[str, dict[str, int]] = {}
    for r in records:
        for kind in r.kinds:
            row = table.setdefault(kind, Counter())
            row["targets"] += 1
            row[r.outcome] += 1
            row["sped_up"] += sped_up(r)
            row["wrong"] += r.judge == "wrong"
    return {k: dict(v) for k, v in sorted(table.items())}


def _headline(summary: dict[str, Any]) -> list[str]:
    refused = ", ".join(f"{k} {v}" for k, v in summary["refused_by_reason"].items()) or "-"
    return [
        "| figure | value |", "| --- | --- |",
        f"| targets | {summary['targets']} |",
        f"| oracle built, searched | {summary['searched']} |",
        f"| refused (by reason) | {summary['refused']} ({refused}) |",
        f"| crashed | {summary['crashed']} |",
        f"| hung (killed at the limit) | {summary['hung']} |",
        f"| changes offered | {summary['offered']} |",
        f"| sped up >= {MIN_COUNTED_SPEEDUP:.2f}x and right on held-out inputs | {summary['sped_up']} |",
        f"| WRONG changes offered (held-out inputs differ) | {summary['wrong_offered']} |",
        f"| offered but unjudged | {summary['unjudged_offered']} |",
        f"| geomean speedup over all targets (failures count 1.0) | {summary['geomean_speedup']:.3f}x |",
        f"| wall time per target: median / max | {summary['wall_s_median']:.1f} s / {summary['wall_s_max']:.1f} s |",
        f"| runs with a traceback in stderr | {summary['tracebacks_in_stderr']} |",
    ]


def _kind_rows(records: Sequence[RecordLike]) -> list[str]:
    lines = ["| kind | targets | searched | refused | crashed | hung | sped up | wrong offered |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind, row in by_kind(records).items():
        lines.append(f"| {kind} | {row.get('targets', 0)} | {row.get('searched', 0)} | {row.get('refused', 0)} | "
                     f"{row.get('crash', 0)} | {row.get('hang', 0)} | {row.get('sped_up', 0)} | {row.get('wrong', 0)} |")
    return lines


def _target_rows(records: Sequence[RecordLike]) -> list[str]:
    served = any(r.model_served for r in records)
    lines = ["| target | kinds | outcome | reason | speedup (reported) | held-out judge | wall s |"
             + (" model answered |" if served else ""),
             "| --- | --- | --- | --- | ---: | --- | ---: |" + (" --- |" if served else "")]
    for r in records:
        message = r.reason.removeprefix("error: ").replace("|", "/")
        reason = f"{r.reason_class}: {message[:110]}" if r.reason_class else message[:110]
        speed = f"{r.speedup:.2f}x" if r.speedup else "-"
        extra = f" {', '.join(r.model_served) or '-'} |" if served else ""
        judged = f"{r.judge} ({r.offered_matches})" if r.judge and r.offered_matches not in ("", "other") else r.judge
        lines.append(f"| {r.name} | {' '.join(r.kinds)} | {r.outcome} | {reason or '-'} | {speed} | "
                     f"{judged or '-'} | {r.wall_s:.1f} |{extra}")
    return lines


def results_markdown(set_name: str, mode: str, records: Sequence[RecordLike], summary: dict[str, Any],
                     command: str, wall_s: float, budget_evals: int, timeout_s: float) -> str:
    """The table of one run: headline figures, per kind, per target."""
    lines = [f"## Held-out run: set `{set_name}`, mode `{mode}`", "",
             f"Budget per target: {budget_evals} evaluations (one candidate timed on one minibatch each), {timeout_s:g} s wall-clock limit. "
             f"Total wall time {wall_s / 60:.1f} min.", "", f"Reproduce: `{command}`", "",
             *_headline(summary), "", *_peer_rows(records), *_strength_rows(records), "### By kind", "", *_kind_rows(records), "",
             "### Per target", "",
             *_target_rows(records)]
    return "\n".join(lines) + "\n"
