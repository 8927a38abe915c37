"""Benchmark: is the sandbox's speed verdict stable on a busy machine?

Three workloads, each measured ``--trials`` times with the default measurement settings
(min_sample_s=0.05, 20 interleaved rounds, 2 warm-up rounds), each trial with its own seed:

- ``self``: a function against itself. Every verdict must be "no difference".
- ``1.30x``: the same loop body run 13 times against 10 times, a speedup of 1.3 by
  construction (callgrind confirms the instruction ratio). At least 19 of 20 verdicts
  must be "faster".
- ``1.05x``: 21 against 20 repetitions, below the 1.10 threshold: should read "no
  difference" (reported, not a pass criterion).

Every raw sample, the machine's load average before and after, and the wall time go to a
JSON file; a Markdown table goes to the results file.

    python benchmarks/sandbox/stability.py [--trials 20] [--backend auto]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from pathlib import Path

from polca.sandbox.measure import count_instructions, measure
from polca.sandbox.stats import paired_speedup, verdict
from polca.sandbox.target import Target

HERE = Path(__file__).parent
WORK = """
def unit(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total

def f(n):
    acc = 0
    for _ in range({repeats}):
        acc += unit(n)
    return acc
"""
WORKLOADS = {
    "self": (10, 10, "no difference"),
    "1.30x": (13, 10, "faster"),
    "1.05x": (21, 20, None),
}
INPUTS = [(300,), (500,)]


def _target(repeats: int) -> Target:
    return Target(source=WORK.format(repeats=repeats), qualname="f", module_name="work")


def run_workload(name: str, trials: int, backend: str) -> dict:
    base_repeats, cand_repeats, expected = WORKLOADS[name]
    rows = []
    for trial in range(trials):
        started = time.perf_counter()
        result = measure(_target(base_repeats), _target(cand_repeats), INPUTS, backend=backend, seed=trial)
        rows.append({
            "trial": trial, "status": result.status, "verdict": result.verdict,
            "speedup": result.speedup, "ci_low": result.ci_low, "ci_high": result.ci_high,
            "clock_used": result.clock_used, **_wall_only(result, trial),
            "cpu_share_a": result.cpu_share_a, "cpu_share_b": result.cpu_share_b,
            "loops_a": result.loops_a, "loops_b": result.loops_b,
            "cpu_samples_a_s": list(result.cpu_samples_a_s), "cpu_samples_b_s": list(result.cpu_samples_b_s),
            "wall_samples_a_s": list(result.wall_samples_a_s), "wall_samples_b_s": list(result.wall_samples_b_s),
            "wall_s": time.perf_counter() - started, "message": result.message,
        })
        print(f"{name} trial {trial}: {result.describe()}", flush=True)
    return {"workload": name, "base_repeats": base_repeats, "candidate_repeats": cand_repeats,
            "expected": expected, "verdicts": dict(Counter(r["verdict"] for r in rows)),
            "wall_only_verdicts": dict(Counter(r["wall_only_verdict"] for r in rows)), "trials": rows}


def _wall_only(result, seed: int) -> dict:
    """What the verdict would have been on wall time alone, for comparison."""
    if result.status != "ok":
        return {"wall_only_verdict": None, "wall_only_speedup": None}
    estimate = paired_speedup(result.wall_samples_a_s, result.wall_samples_b_s, seed=seed)
    return {"wall_only_verdict": verdict(estimate), "wall_only_speedup": estimate.speedup}


def instruction_ratio(name: str, backend: str) -> float | None:
    base_repeats, cand_repeats, _ = WORKLOADS[name]
    counts = count_instructions(_target(base_repeats), _target(cand_repeats), INPUTS, backend=backend, passes=2)
    print(f"{name} instructions: {counts.message}", flush=True)
    return counts.ratio


def markdown(report: dict) -> str:
    lines = [
        "| workload | true ratio (callgrind) | faster / no diff. / slower | median speedup | widest 95% CI "
        "| wall-time-only verdicts | pass |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for w in report["workloads"]:
        ok = [r for r in w["trials"] if r["status"] == "ok"]
        speedups = sorted(r["speedup"] for r in ok)
        widest = max(ok, key=lambda r: r["ci_high"] - r["ci_low"]) if ok else None
        ratio = w.get("instruction_ratio")
        lines.append(
            f"| {w['workload']} | {f'{ratio:.3f}' if ratio else 'n/a'} | {_counts(w['verdicts'])} | "
            f"{speedups[len(speedups) // 2]:.3f} | {widest['ci_low']:.3f}-{widest['ci_high']:.3f} | "
            f"{_counts(w['wall_only_verdicts'])} | {_passed(w)} |"
        )
    return "\n".join(lines)


def _counts(verdicts: dict) -> str:
    return " / ".join(str(verdicts.get(v, 0)) for v in ("faster", "no difference", "slower"))


def _passed(workload: dict) -> str:
    n = len(workload["trials"])
    hits = workload["verdicts"].get(workload["expected"], 0) if workload["expected"] else None
    if workload["workload"] == "self":
        return "yes" if hits == n else "NO"
    if workload["workload"] == "1.30x":
        return "yes" if hits >= n - n // 20 else "NO"
    return "(info)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--out", type=Path, default=HERE / "stability.json")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS-stability.md")
    args = parser.parse_args()
    load_before = os.getloadavg()
    started = time.perf_counter()
    workloads = []
    for name in WORKLOADS:
        workload = run_workload(name, args.trials, args.backend)
        workload["instruction_ratio"] = instruction_ratio(name, args.backend)
        workloads.append(workload)
    report = {
        "benchmark": "sandbox measurement stability", "trials": args.trials, "backend": args.backend,
        "settings": {"min_sample_s": 0.05, "rounds": 20, "warmup": 2, "inputs": INPUTS},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "load_avg_before": load_before, "load_avg_after": os.getloadavg(),
        "wall_s": time.perf_counter() - started, "workloads": workloads,
    }
    args.out.write_text(json.dumps(report, indent=1))
    table = markdown(report)
    print(table)
    args.results.write_text(_results_text(report, table))


def _results_text(report: dict, table: str) -> str:
    before, after = report["load_avg_before"], report["load_avg_after"]
    return (
        "# Sandbox measurement stability\n\n"
        f"{report['trials']} trials per workload, default settings (min_sample_s=0.05, 20 interleaved rounds, "
        f"2 warm-up), backend `{report['backend']}`, {report['machine']['cpus']} CPUs shared with other jobs "
        f"(1-minute load average {before[0]:.2f} before, {after[0]:.2f} after), "
        f"{report['wall_s'] / 60:.1f} minutes in all.\n\n"
        f"{table}\n\n"
        "Criteria: `self` must read \"no difference\" in every trial; `1.30x` must read \"faster\" in at "
        "least 19 of 20. Verdicts use the worker's CPU time (see `polca.sandbox.measure`); the wall-time-only "
        "column shows what wall time alone would have said on the same samples. \"widest 95% CI\" is the "
        "widest bootstrap interval among the trials.\n\n"
        "Reproduce (raw samples land in `benchmarks/sandbox/stability.json`):\n\n"
        "    python benchmarks/sandbox/stability.py --trials 20\n"
    )


if __name__ == "__main__":
    main()
