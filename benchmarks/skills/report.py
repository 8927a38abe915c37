"""Render ``results/optk.json`` as ``RESULTS.md``: the OPT@k table and per-task speedups."""

from __future__ import annotations

from pathlib import Path

COMMAND = ".venv/bin/python -m benchmarks.skills.run_optk"


def _cell(scored: list[dict]) -> str:
    passing = [s for s in scored if s["passed"]]
    if not scored:
        return "no candidate"
    if not passing:
        return f"fails ({len(scored)})"
    best = max(passing, key=lambda s: s["speedup"])
    return f"{best['speedup']:.2f}x ({'+'.join(best['skills'])})"


def render(results: dict) -> str:
    contestants = results["contestants"]
    budget, machine = results["budget"], results["machine"]
    lines = [
        "# Skills: OPT@k on held-out tasks (offline)",
        "",
        f"Reproduce: `{COMMAND}` (about {budget['wall_s'] / 60:.0f} min here; raw numbers in "
        "`benchmarks/skills/results/optk.json`).",
        "",
        f"{budget['tasks']} held-out tasks (`benchmarks/skills/tasks/`, none in the mining corpus), "
        f"k = {budget['k']} candidates per task, no model. A candidate passes when it gives the expected "
        "answers and agrees with the slow program on the timed workload; its speedup is the sandbox's "
        f"paired CPU-time measurement, median over {budget['measurement_seeds']} seeds. OPT@k: share of "
        "tasks whose best of the first k candidates passes and is at least 1.10x faster (a failure counts "
        "as 1.0x). Mean speedup: geometric mean over tasks of the best of 8 (1.0 where nothing passes).",
        "",
        "| contestant | OPT@1 | OPT@8 | mean speedup | tasks with a candidate | candidates (passing) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, data in contestants.items():
        s = data["summary"]
        lines.append(f"| {name} | {s['opt@1']:.2f} | {s['opt@8']:.2f} | {s['geomean_speedup@8']:.2f}x | "
                     f"{s['tasks_with_candidates']} | {s['candidates']} ({s['passing_candidates']}) |")
    names = list(contestants)
    lines += ["", "Best passing candidate per task:", "", "| task | " + " | ".join(names) + " |",
              "| --- |" + " --- |" * len(names)]
    for task in next(iter(contestants.values()))["tasks"]:
        lines.append(f"| {task} | " + " | ".join(_cell(contestants[n]["tasks"][task]) for n in names) + " |")
    lines += ["", *_notes(results)]
    lines += ["", f"Mining the corpus for `skills+mined` took {budget['mining_s']:.0f} s. Machine: Python "
              f"{machine['python']}, {machine['cpus']} CPUs, load average {machine['load_avg_1m']:.1f} at the end.", ""]
    return "\n".join(lines)


def _notes(results: dict) -> list[str]:
    contestants = results["contestants"]
    tasks = list(next(iter(contestants.values()))["tasks"])
    nobody = [t for t in tasks if not any(c["tasks"][t] for c in contestants.values())]
    failures = [f"{name} on {task} ({'+'.join(s['skills'])}): {s['why']}"
                for name, c in contestants.items() for task, scored in c["tasks"].items()
                for s in scored if not s["passed"]]
    notes = [f"Mined skills used by `skills+mined`: {', '.join(results.get('mined_skills', [])) or 'none'}."]
    if nobody:
        notes += ["", f"No contestant produced a candidate for: {', '.join(nobody)}. The built-in rules for "
                  "de-duplication, FIFO queues and memoization prove hashability or purity from type annotations "
                  "or list displays, which these unannotated tasks do not give; the pair-sum task needs an "
                  "algorithmic rewrite no rule performs. A model (`polca skills apply --model`) is the path there."]
    if failures:
        notes += ["", "Failed candidates:", *[f"- {f}" for f in failures]]
    return notes


def write_report(results: dict, path: Path) -> None:
    path.write_text(render(results))
