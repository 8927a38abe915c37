"""Summarise ``results.json`` from ``run_benchmark.py``: a markdown table and a PNG of curves.

    .venv/bin/python benchmarks/trainer/report.py benchmarks/trainer/results.json

Per (learning rate, algorithm), over seeds: final reward (mean training reward of the last
10 steps), greedy accuracy on all 100 problems after RL, area under the reward curve (mean
reward over all steps), worst-seed drop (largest fall of the 10-step moving average from
its running peak to the end), share of steps with xi > 0 (PIPO), median step time, PIPO's
own timed work per step (``pipo/overhead_s``) and tokens (prompt + completion) per second.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

TAIL = 10


def moving_average(values: list[float], width: int = TAIL) -> list[float]:
    return [statistics.fmean(values[max(0, i - width + 1): i + 1]) for i in range(len(values))]


def drop(values: list[float]) -> float:
    """Running peak of the moving average minus its final value (0 when it ends at its peak)."""
    smooth = moving_average(values)
    return max(smooth) - smooth[-1]


def summarise(runs: list[dict]) -> dict:
    xis = [x for run in runs for x in run["xis"]]
    return {
        "seeds": len(runs),
        "final_reward": statistics.fmean(statistics.fmean(r["reward"][-TAIL:]) for r in runs),
        "final_reward_sd": statistics.stdev([statistics.fmean(r["reward"][-TAIL:]) for r in runs]) if len(runs) > 1 else 0.0,
        "greedy_accuracy": statistics.fmean(r["greedy_accuracy"] for r in runs),
        "auc": statistics.fmean(statistics.fmean(r["reward"]) for r in runs),
        "worst_seed_drop": max(drop(r["reward"]) for r in runs),
        "xi_positive_share": sum(x > 0 for x in xis) / len(xis) if xis else None,
        "step_time_s": statistics.median(t for r in runs for t in r["step_time_s"][1:]),
        "pipo_overhead_s": statistics.median(t for r in runs for t in r["pipo_overhead_s"][1:]),
        "tokens_per_s": statistics.fmean(r["tokens_seen"] / r["runtime_s"] for r in runs),
    }


def table(payload: dict) -> tuple[str, dict]:
    groups: dict[tuple[float, str], list[dict]] = defaultdict(list)
    for run in payload["runs"]:
        groups[(run["lr"], run["algo"])].append(run)
    summary = {f"{algo}@{lr:g}": summarise(runs) for (lr, algo), runs in sorted(groups.items())}
    lines = [
        "| lr | algo | seeds | final reward (last 10 steps) | greedy acc. after RL | AUC | worst-seed drop | xi > 0 share | median step time | PIPO step overhead | PIPO own work per step | tokens/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (lr, algo), _ in sorted(groups.items()):
        s = summary[f"{algo}@{lr:g}"]
        grpo = summary[f"grpo@{lr:g}"]
        share = "-" if s["xi_positive_share"] is None else f"{s['xi_positive_share']:.2f}"
        overhead = "-" if algo == "grpo" else f"{s['step_time_s'] / grpo['step_time_s'] - 1:+.0%}"
        lines.append(
            f"| {lr:g} | {algo} | {s['seeds']} | {s['final_reward']:.3f} ± {s['final_reward_sd']:.3f} | "
            f"{s['greedy_accuracy']:.3f} | {s['auc']:.3f} | {s['worst_seed_drop']:.3f} | {share} | "
            f"{s['step_time_s'] * 1e3:.0f} ms | {overhead} | {s['pipo_overhead_s'] * 1e3:.0f} ms | "
            f"{s['tokens_per_s']:.0f} |"
        )
    return "\n".join(lines), summary


def plot(payload: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lrs = sorted({run["lr"] for run in payload["runs"]})
    fig, axes = plt.subplots(1, len(lrs), figsize=(6 * len(lrs), 4), squeeze=False)
    colours = {"grpo": "tab:blue", "pipo": "tab:orange"}
    for ax, lr in zip(axes[0], lrs, strict=True):
        for run in (r for r in payload["runs"] if r["lr"] == lr):
            ax.plot(moving_average(run["reward"]), color=colours[run["algo"]], alpha=0.6,
                    label=f"{run['algo']} seed {run['seed']}")
        ax.set_title(f"lr {lr:g} (10-step moving average)")
        ax.set_xlabel("RL step")
        ax.set_ylabel("mean reward of the batch")
        handles, labels = ax.get_legend_handles_labels()
        unique = {label.split()[0]: h for h, label in zip(handles, labels, strict=True)}
        ax.legend(unique.values(), unique.keys())
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/trainer/results.json")
    payload = json.loads(source.read_text())
    text, summary = table(payload)
    (source.parent / "summary.json").write_text(json.dumps(summary, indent=1))
    plot(payload, source.parent / "curves.png")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
