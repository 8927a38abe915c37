"""OpenEvolve's evaluator file for the synthetic problems.

OpenEvolve loads this file by path in its worker processes and calls
``evaluate(program_path, **evaluator_args)``; the problem's definition arrives as
``evaluator_args`` (plain data). Each call scores the program on ``instances_per_eval``
instances drawn at random and returns their mean as ``combined_score`` and the feedback
lines as an artifact, which OpenEvolve puts into the next prompt.

Forked workers inherit the parent's random state, so each process builds its own problem
with a fresh-noise seed that mixes in its process id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from openevolve.evaluation_result import EvaluationResult

from benchmarks.search.problems import ProblemSpec, SyntheticProblem

_PROBLEMS: dict[tuple[ProblemSpec, int], SyntheticProblem] = {}


def _problem(spec: ProblemSpec) -> SyntheticProblem:
    key = (spec, os.getpid())
    if key not in _PROBLEMS:
        _PROBLEMS[key] = SyntheticProblem(spec, fresh_seed=os.getpid())
    return _PROBLEMS[key]


def evaluate(
    program_path: str,
    landscape: str,
    noise: float,
    seed: int,
    num_instances: int,
    instances_per_eval: int,
    log_path: str,
) -> EvaluationResult:
    """Score the program file on ``instances_per_eval`` random instances.

    Appends ``{"text", "score"}`` as one JSON line to ``log_path``: the harness counts
    evaluations and replays OpenEvolve's best-so-far from it (OpenEvolve's database
    drops programs its MAP-Elites cells replace, so it cannot).
    """
    problem = _problem(ProblemSpec(landscape, noise, seed, num_instances))
    text = Path(program_path).read_text()
    evaluations = [problem.evaluate_text(text, i) for i in problem.sample_batch(instances_per_eval)]
    score = float(np.mean([e.score for e in evaluations]))
    feedback = "\n".join(e.feedback for e in evaluations)
    with open(log_path, "a") as log_file:
        log_file.write(json.dumps({"text": text, "score": score}) + "\n")
    return EvaluationResult(metrics={"combined_score": score}, artifacts={"feedback": feedback})
