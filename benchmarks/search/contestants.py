"""The contestants by name, and one run of one of them turned into a record.

A contestant is a function ``(RunSpec, SyntheticProblem, SimulatedModel) -> Outcome``.
``run_contestant`` builds the problem and a simulated model seeded for this run, runs the
contestant, and re-scores everything it returned with the true quality.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from benchmarks.search.model import SimulatedModel
from benchmarks.search.outcome import Outcome, RunSpec
from benchmarks.search.problems import SyntheticProblem

Contestant = Callable[[RunSpec, SyntheticProblem, SimulatedModel], Outcome]

# name -> "module:function", imported on use so one missing peer package does not stop
# the others.
CONTESTANTS: dict[str, str] = {
    "polca": "benchmarks.search.polca_contestant:run_polca_full",
    "polca_no_epsilon_net": "benchmarks.search.polca_contestant:run_polca_no_epsilon_net",
    "polca_no_summarizer": "benchmarks.search.polca_contestant:run_polca_no_summarizer",
    "polca_fixed_reevaluation": "benchmarks.search.polca_contestant:run_polca_fixed_reevaluation",
    "polca_spread_expansion": "benchmarks.search.polca_contestant:run_polca_spread_expansion",
    "polca_no_racing": "benchmarks.search.polca_contestant:run_polca_no_racing",
    "greedy": "benchmarks.search.greedy:run_greedy",
    "gepa": "benchmarks.search.gepa_contestant:run_gepa",
    "openevolve": "benchmarks.search.openevolve_contestant:run_openevolve",
}


def get_contestant(name: str) -> Contestant:
    """The contestant function called ``name``; raises ValueError listing the choices."""
    if name not in CONTESTANTS:
        raise ValueError(f"unknown contestant {name!r}; choose one of {sorted(CONTESTANTS)}")
    module, _, function = CONTESTANTS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def run_contestant(spec: RunSpec) -> dict[str, Any]:
    """Run ``spec`` and return its JSON-ready record (true quality of every trace point)."""
    contestant = get_contestant(spec.contestant)
    problem = SyntheticProblem(spec.problem)
    model = SimulatedModel(problem.landscape, spec.model, spec.seed)
    started = time.perf_counter()
    outcome = contestant(spec, problem, model)
    wall_s = time.perf_counter() - started
    return {
        "spec": asdict(spec),
        "returned_true_quality": problem.true_quality(outcome.returned_text),
        "returned_text": outcome.returned_text,
        "seed_true_quality": problem.true_quality(problem.seed().params),
        "evals_used": outcome.evals_used,
        "llm_calls": outcome.llm_calls,
        "wall_s": wall_s,
        "trace": [[p.evals, problem.true_quality(p.text)] for p in outcome.trace],
        "notes": outcome.notes,
    }
