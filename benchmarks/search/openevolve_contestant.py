"""The real ``openevolve`` package (0.4.1), talking to the simulated model over HTTP.

The simulated model answers behind ``polca.testing.ScriptedServer`` on 127.0.0.1;
OpenEvolve's own ``openai`` client calls it. The config is built from a dict (assigning
models in code leaves ``api_base`` empty and falls back to a public host) and keeps
OpenEvolve's defaults except: diff-based evolution only, no cascade, one evaluation
worker (the machine has two cores and the harness runs two contestants at a time), no
checkpoints. One iteration is one model call and one ``evaluate()`` over
``spec.minibatch`` instances, so the iteration count is the budget over the minibatch,
less the seed program's evaluation.

OpenEvolve keeps each program's single noisy score and returns the program with the best
one, so its returned best is the luckiest draw; the harness re-scores it with the true
quality like every other contestant's. Its database drops programs that MAP-Elites
replaces, so evaluations are counted, and its best-so-far replayed, from a log the
evaluator appends to. Run it in its own process: it installs signal
handlers and forks workers.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from openevolve.config import Config
from openevolve.controller import OpenEvolve

from benchmarks.search.model import SimulatedModel
from benchmarks.search.outcome import Outcome, RunSpec, TracePoint
from benchmarks.search.problems import PARAM_NAME, SyntheticProblem
from polca.testing import ScriptedServer

EVALUATOR_FILE = Path(__file__).with_name("openevolve_evaluator.py")


def openevolve_config(spec: RunSpec, api_base: str, iterations: int, log_path: Path) -> Config:
    """OpenEvolve's config for one run against the scripted server at ``api_base``.

    The evaluator appends one JSON line per evaluation to ``log_path``.
    """
    problem = spec.problem
    raw: dict[str, Any] = {
        "max_iterations": iterations,
        "random_seed": spec.seed,
        "checkpoint_interval": iterations + 1,
        "log_level": "WARNING",
        "language": "python",
        "diff_based_evolution": True,
        "llm": {
            "api_base": api_base,
            "api_key": "simulated",
            "models": [{"name": "simulated", "weight": 1.0}],
            "timeout": 60,
            "retries": 1,
            "retry_delay": 0,
        },
        "database": {"random_seed": spec.seed, "in_memory": True},
        "evaluator": {
            "cascade_evaluation": False,
            "parallel_evaluations": 1,
            "timeout": 60,
            "evaluator_args": {
                "landscape": problem.landscape,
                "noise": problem.noise,
                "seed": problem.seed,
                "num_instances": problem.num_instances,
                "instances_per_eval": spec.minibatch,
                "log_path": str(log_path),
            },
        },
    }
    return Config.from_dict(raw)


def _trace(log_path: Path, per_eval: int) -> tuple[list[TracePoint], int]:
    """OpenEvolve's best-so-far (the highest single score) after each evaluation."""
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    trace: list[TracePoint] = []
    best = float("-inf")
    for count, entry in enumerate(lines, start=1):
        if entry["score"] > best:
            best = entry["score"]
            trace.append(TracePoint(count * per_eval, entry["text"]))
    return trace, len(lines) * per_eval


def run_openevolve(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """OpenEvolve for ``budget_evals // minibatch - 1`` iterations."""
    iterations = spec.budget_evals // spec.minibatch - 1
    seed_text = problem.seed().params[PARAM_NAME]
    with tempfile.TemporaryDirectory(prefix="openevolve-run-") as tmp, ScriptedServer(model.respond) as server:
        program_path = Path(tmp) / "seed_program.py"
        program_path.write_text(seed_text + "\n")
        log_path = Path(tmp) / "evaluations.jsonl"
        controller = OpenEvolve(
            initial_program_path=str(program_path),
            evaluation_file=str(EVALUATOR_FILE),
            config=openevolve_config(spec, server.api_base, iterations, log_path),
            output_dir=str(Path(tmp) / "out"),
        )
        best = asyncio.run(controller.run(iterations=iterations))
        trace, evals_used = _trace(log_path, spec.minibatch)
        failed = len(server.unscripted)
    returned = best.code if best is not None else seed_text
    notes = f"{failed} model requests failed" if failed else ""
    return Outcome(returned, evals_used, trace, model.calls, notes)
