"""Greedy hill-climbing: one current candidate, replaced by a child that scores higher.

Each step asks the simulated model for one child of the current candidate (with the
feedback of the current candidate's last minibatch), scores the child on a fresh random
minibatch, and keeps it when its minibatch mean beats the current candidate's. No
re-evaluation: one lucky minibatch crowns a child, which is what the benchmark probes.
"""

from __future__ import annotations

import numpy as np

from benchmarks.search.model import SimulatedModel
from benchmarks.search.outcome import Outcome, RunSpec, TracePoint
from benchmarks.search.problems import PARAM_NAME, SyntheticProblem


def _score(problem: SyntheticProblem, text: str, batch: list[str]) -> tuple[float, str]:
    evaluations = [problem.evaluate_text(text, instance) for instance in batch]
    mean = float(np.mean([e.score for e in evaluations]))
    return mean, "\n".join(e.feedback for e in evaluations)


def run_greedy(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """Hill-climb until the next minibatch would exceed ``spec.budget_evals``."""
    rng = np.random.default_rng([spec.seed, 31])
    instances = problem.instances()

    def draw() -> list[str]:
        return [str(i) for i in rng.choice(instances, size=spec.minibatch, replace=False)]

    current = problem.seed().params[PARAM_NAME]
    current_mean, feedback = _score(problem, current, draw())
    used = spec.minibatch
    trace = [TracePoint(used, current)]
    while used + spec.minibatch <= spec.budget_evals:
        child = model.edit(current, feedback)
        child_mean, child_feedback = _score(problem, child, draw())
        used += spec.minibatch
        if child_mean > current_mean:
            current, current_mean, feedback = child, child_mean, child_feedback
            trace.append(TracePoint(used, current))
    return Outcome(current, used, trace, model.calls)
