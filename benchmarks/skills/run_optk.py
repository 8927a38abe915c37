"""OPT@k for Stage II on held-out tasks, offline, beside ruff's autofixes. From the repository root::

    .venv/bin/python -m benchmarks.skills.run_optk

Tasks are ``benchmarks/skills/tasks/t*.py``: each defines a slow ``solve``, ``TESTS``
(argument tuples with the expected answer) and ``bench_inputs()`` (the timed workload).
None of them is in the mining corpus (``skills/corpus/pairs.jsonl``).

Contestants, each giving up to k candidate files per task:

- ``skills``: ``apply_skills`` offline with the built-in library.
- ``skills+mined``: the same with the skills the LLM-free miner keeps from the corpus
  (mined afresh at the start of the run into a temporary folder).
- ``ruff``: ``ruff check --select PERF,FURB,C4,SIM --fix --unsafe-fixes`` (one candidate;
  what a user would run today).

A candidate *passes* when it returns the expected answer on every test and agrees with
the slow program on the timed workload (sandbox differential test); its speedup is the
sandbox's paired CPU-time measurement, median over ``--seeds`` measurement seeds. No
task mutates its arguments, so inputs are not re-copied per call (``fresh_inputs=False``):
copies of a large workload for every one of the many calls an early-exit candidate gets
per sample would exhaust the sandbox's memory limit. A task
counts for OPT@k when its best passing candidate among the first k is at least 1.10x
faster; a failed or missing candidate counts as 1.0x (the paper's convention). The mean
speedup is the geometric mean over tasks of the best of the first 8. Raw numbers go to
``results/optk.json`` and the table to ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from polca.sandbox.difftest import compare
from polca.sandbox.measure import measure
from polca.sandbox.target import Call, Target
from polca.skills.apply import apply_skills
from polca.skills.mine_ast import mine_skills
from polca.skills.model import load_library
from polca.skills.pairs import load_pairs
from polca.skills.registry import SkillRegistry

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
MIN_SPEEDUP = 1.10
KS = (1, 8)


@dataclass(frozen=True)
class Task:
    name: str
    source: str
    tests: list
    bench: list


@dataclass(frozen=True)
class Scored:
    """One candidate on one task."""

    index: int
    skills: list[str]
    passed: bool
    speedup: float  # 1.0 when it failed
    speedups_by_seed: list[float]
    why: str = ""


def load_tasks(folder: Path) -> list[Task]:
    tasks = []
    for path in sorted(folder.glob("t*.py")):
        source = path.read_text()
        namespace: dict = {}
        exec(compile(source, str(path), "exec"), namespace)  # our own task files
        tasks.append(Task(path.stem, source, namespace["TESTS"], namespace["bench_inputs"]()))
    return tasks


def _check(task: Task, code: str) -> str:
    """Why ``code`` fails the task ("" when it passes)."""
    namespace: dict = {}
    try:
        exec(compile(code, task.name, "exec"), namespace)
        for args, expected in task.tests:
            got = namespace["solve"](*args)
            if got != expected:
                return f"test {args!r}: expected {expected!r}, got {got!r}"
    except Exception as exc:  # a candidate's failure is data
        return f"{type(exc).__name__}: {exc}"
    report = compare(Target(task.source, "solve", "slow_task"), Target(code, "solve", "cand_task"),
                     [Call(args=tuple(a)) for a in task.bench])
    return "" if report.equal else f"differs on the workload: {report.feedback[:200]}"


def score(task: Task, code: str, index: int, skills: list[str], seeds: int) -> Scored:
    why = _check(task, code)
    if why:
        return Scored(index, skills, False, 1.0, [], why)
    samples = []
    for seed in range(seeds):
        result = measure(Target(task.source, "solve", "slow_task"), Target(code, "solve", "cand_task"),
                         [Call(args=tuple(a)) for a in task.bench], rounds=9, min_sample_s=0.02, seed=seed,
                         fresh_inputs=False)
        if result.status != "ok" or result.speedup is None:
            return Scored(index, skills, False, 1.0, samples, f"timing failed: {result.message}")
        samples.append(result.speedup)
    return Scored(index, skills, True, statistics.median(samples), samples)


def skills_candidates(task: Task, registry: SkillRegistry, k: int) -> list[tuple[str, list[str]]]:
    result = apply_skills(task.source, registry=registry, k=k)
    return [(c.code, list(c.skills)) for c in result.candidates]


def ruff_candidates(task: Task) -> list[tuple[str, list[str]]]:
    ruff = Path(sys.executable).with_name("ruff")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{task.name}.py"
        path.write_text(task.source)
        subprocess.run([str(ruff), "check", "--select", "PERF,FURB,C4,SIM", "--fix", "--unsafe-fixes",
                        "--no-cache", "--isolated", "--quiet", str(path)], capture_output=True, check=False)
        fixed = path.read_text()
    return [] if fixed == task.source else [(fixed, ["ruff"])]


def opt_at(per_task: list[list[Scored]], k: int) -> float:
    wins = sum(any(s.passed and s.speedup >= MIN_SPEEDUP for s in scored[:k]) for scored in per_task)
    return wins / len(per_task)


def best_speedup(scored: list[Scored], k: int) -> float:
    return max([s.speedup for s in scored[:k] if s.passed] + [1.0])


def summarise(per_task: list[list[Scored]]) -> dict:
    best = [best_speedup(s, 8) for s in per_task]
    return {
        **{f"opt@{k}": opt_at(per_task, k) for k in KS},
        "geomean_speedup@8": math.exp(sum(math.log(b) for b in best) / len(best)),
        "tasks_with_candidates": sum(bool(s) for s in per_task),
        "candidates": sum(len(s) for s in per_task),
        "passing_candidates": sum(c.passed for s in per_task for c in s),
    }


def mined_registry(folder: Path) -> SkillRegistry:
    """The built-in library plus what the LLM-free miner keeps from the corpus."""
    report = mine_skills(load_pairs(), folder, overwrite=True)
    log.info("mined %d skills from the corpus", len(report.skills))
    return SkillRegistry(load_library() + list(report.skills))


def run(args: argparse.Namespace) -> dict:
    tasks = load_tasks(HERE / "tasks")
    started = time.monotonic()
    mined_dir = Path(tempfile.mkdtemp(prefix="polca-mined-"))
    registries = {"skills": SkillRegistry(load_library()), "skills+mined": mined_registry(mined_dir)}
    mined_s = time.monotonic() - started
    results: dict = {"contestants": {}, "mined_skills": sorted(set(registries["skills+mined"].ids)
                                                               - set(registries["skills"].ids))}
    contestants = {name: (lambda t, r=reg: skills_candidates(t, r, args.k)) for name, reg in registries.items()}
    contestants["ruff"] = ruff_candidates
    for name, make in contestants.items():
        per_task = []
        for task in tasks:
            scored = [score(task, code, i, skills, args.seeds) for i, (code, skills) in enumerate(make(task))]
            per_task.append(scored)
            log.info("%s %s: %s", name, task.name, [(s.skills, round(s.speedup, 2), s.passed) for s in scored])
        results["contestants"][name] = {
            "summary": summarise(per_task),
            "tasks": {t.name: [asdict(s) for s in scored] for t, scored in zip(tasks, per_task, strict=True)},
        }
    results["budget"] = {"k": args.k, "tasks": len(tasks), "measurement_seeds": args.seeds,
                         "mining_s": round(mined_s, 1), "wall_s": round(time.monotonic() - started, 1)}
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_avg_1m": os.getloadavg()[0]}
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3, help="measurement seeds per candidate")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    results = run(args)
    (args.out / "optk.json").write_text(json.dumps(results, indent=1))
    from benchmarks.skills.report import write_report

    write_report(results, HERE / "RESULTS.md")


if __name__ == "__main__":
    main()
