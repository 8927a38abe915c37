"""The RESULTS.md table from the raw runs: medians with the range over seeds."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

_PREAMBLE = """# Prompt optimization: POLCA vs dspy.GEPA vs dspy.MIPROv2

**This compares search strategies, not models.** Both LMs are scripted stand-ins served
on 127.0.0.1: the task model answers correctly with a probability set by the cue vector in
its instruction (the search benchmark's landscapes), and every optimizer's proposer is
the search benchmark's simulated model (an informed edit with probability 0.3, else it
follows a feedback hint half the time, else a random edit). The same DSPy program
(`dspy.Predict("question -> answer")`), trainset (15), devset (15), feedback metric and
metric-call budget go to each optimizer; scores are measured afterwards on 40 held-out
questions, and as the exact accuracy the returned instruction implies (true quality).
MIPROv2 runs zero-shot (instructions only, like the others) and never sees feedback, by
design; its proposer therefore edits without hints. Nothing here says how any optimizer
does with real models on real tasks.

Budgets are metric calls (one example scored once). POLCA stops within its budget
(its final selection on the devset included); GEPA checks its budget between iterations
and may overshoot; MIPROv2's trials are sized from a measured cost of 55 + 8 calls per
trial. The *metric calls used* column is what each really spent. *True quality* is the
exact accuracy the returned instruction implies; *held-out accuracy* is measured on 40
questions (sampling spread about ±0.08). Medians over seeds, [min, max] across them.

POLCA asks for its explorers' children concurrently and the simulated model draws from
one shared random stream in arrival order, so a POLCA run can differ between invocations
at the same seed (each run is reproducible alone); the spread over seeds covers this.
"""


def render(meta: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[(run["landscape"], run["budget"], run["contestant"])].append(run)
    lines = [_PREAMBLE, f"Reproduce: `{meta['command']}` ({meta['seeds']} seeds, "
             f"{meta['total_wall_s'] / 60:.1f} min on a shared 2-core machine). Raw numbers: "
             "`benchmarks/prompts/results/raw.json`.\n"]
    for landscape in sorted({k[0] for k in groups}):
        lines += [f"## Landscape `{landscape}`\n", "| optimizer | budget (metric calls) | metric calls used "
                  "| true quality, median [min, max] | held-out accuracy, median [min, max] | proposer calls | wall s "
                  "| runs that raised |",
                  "| --- | ---: | ---: | --- | --- | ---: | ---: | ---: |"]
        for (land, budget, contestant), rows in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][2])):
            if land == landscape:
                lines.append(_row(contestant, budget, rows))
        lines.append("")
    return "\n".join(lines)


def _row(contestant: str, budget: int, rows: list[dict[str, Any]]) -> str:
    def spread(key: str) -> str:
        values = [r[key] for r in rows]
        return f"{statistics.median(values):.3f} [{min(values):.3f}, {max(values):.3f}]"

    def med(key: str, fmt: str) -> str:
        return format(statistics.median(r[key] for r in rows), fmt)

    return (f"| {contestant} | {budget or '-'} | {med('metric_calls', '.0f')} | {spread('true_quality')} | "
            f"{spread('heldout_accuracy')} | {med('proposer_calls', '.0f')} | {med('wall_s', '.1f')} | "
            f"{sum(1 for r in rows if r.get('error'))} |")


def main() -> None:
    """Redraw RESULTS.md from the raw JSON: ``python -m benchmarks.prompts.report``."""
    import json
    from pathlib import Path

    here = Path(__file__).resolve().parent
    raw = json.loads((here / "results" / "raw.json").read_text())
    (here / "RESULTS.md").write_text(render(raw["meta"], raw["runs"]))


if __name__ == "__main__":
    main()
