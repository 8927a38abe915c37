"""Run the prompt benchmark: POLCA, dspy.GEPA and dspy.MIPROv2, several seeds and budgets.

    .venv/bin/python -m benchmarks.prompts.run --seeds 5 --budgets 80,240 --landscapes smooth,deceptive

Writes every run's raw numbers to ``benchmarks/prompts/results/raw.json`` and the table
to ``benchmarks/prompts/RESULTS.md``. Each run starts two scripted servers on 127.0.0.1
(the task model and the simulated proposer); nothing leaves the machine. Scores are the
returned program's accuracy on held-out questions (through the task model) and the
exact accuracy its instruction implies (``true quality``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NUM_TRAIN, NUM_DEV, NUM_HELDOUT = 15, 15, 40

log = logging.getLogger(__name__)


def run_one(contestant: str, landscape_name: str, seed: int, budget: int) -> dict[str, Any]:
    """One contestant, one seed, one budget: the returned program's scores and the spend."""
    import dspy

    from benchmarks.prompts.contestants import CONTESTANTS, CountingMetric, Setup
    from benchmarks.prompts.proposer import SimulatedProposer
    from benchmarks.prompts.task import (
        FeedbackMetric,
        TaskModel,
        instruction,
        make_examples,
        true_quality,
    )
    from benchmarks.search.model import ModelSpec, SimulatedModel
    from benchmarks.search.problems import get_landscape
    from polca.testing import ScriptedServer

    landscape = get_landscape(landscape_name)
    proposer = SimulatedProposer(SimulatedModel(landscape, ModelSpec(), seed))
    with ScriptedServer(TaskModel(landscape)) as task_server, ScriptedServer(proposer) as proposer_server:
        task_lm = _lm(task_server.api_base)
        student = dspy.Predict(dspy.Signature("question -> answer", instruction(landscape.seed_point)))
        metric = CountingMetric(FeedbackMetric(landscape))
        setup = Setup(student, make_examples(NUM_TRAIN, seed, "train"), make_examples(NUM_DEV, seed, "dev"),
                      metric, task_lm, _lm(proposer_server.api_base), proposer_server.api_base, budget, seed)
        start = time.perf_counter()
        program, error = _compile(CONTESTANTS[contestant], setup)
        wall_s = time.perf_counter() - start
        calls = metric.calls
        heldout = _accuracy(program, make_examples(NUM_HELDOUT, seed, "heldout"), task_lm)
        unscripted = len(task_server.unscripted) + len(proposer_server.unscripted)
    text = program.signature.instructions
    return {"contestant": contestant, "landscape": landscape_name, "seed": seed, "budget": budget,
            "metric_calls": calls, "proposer_calls": proposer.calls, "heldout_accuracy": heldout,
            "true_quality": true_quality(text, landscape), "wall_s": wall_s, "instruction": text,
            "unscripted_requests": unscripted, "error": error}


def _compile(run: Any, setup: Any) -> tuple[Any, str]:
    """The contestant's program, or the seed program and the error when it raised."""
    try:
        return run(setup), ""
    except Exception as exc:
        log.warning("%s failed", getattr(run, "__name__", run), exc_info=True)
        return setup.student, f"{type(exc).__name__}: {exc}"


def _lm(api_base: str) -> Any:
    import dspy

    return dspy.LM("openai/scripted", api_base=api_base, api_key="x", cache=False, num_retries=0)


def _accuracy(program: Any, examples: list[Any], lm: Any) -> float:
    import dspy

    with dspy.context(lm=lm):
        right = [program(**ex.inputs()).answer.strip() == ex.answer for ex in examples]
    return sum(right) / len(right)


def seed_row(landscape_name: str, seed: int) -> dict[str, Any]:
    """The seed instruction's scores, the baseline every contestant starts from."""
    import dspy

    from benchmarks.prompts.task import TaskModel, instruction, make_examples, true_quality
    from benchmarks.search.problems import get_landscape
    from polca.testing import ScriptedServer

    landscape = get_landscape(landscape_name)
    text = instruction(landscape.seed_point)
    with ScriptedServer(TaskModel(landscape)) as server:
        program = dspy.Predict(dspy.Signature("question -> answer", text))
        heldout = _accuracy(program, make_examples(NUM_HELDOUT, seed, "heldout"), _lm(server.api_base))
    return {"contestant": "seed instruction", "landscape": landscape_name, "seed": seed, "budget": 0,
            "metric_calls": 0, "proposer_calls": 0, "heldout_accuracy": heldout,
            "true_quality": true_quality(text, landscape), "wall_s": 0.0, "instruction": text,
            "unscripted_requests": 0, "error": ""}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budgets", default="80,240", help="comma-separated metric-call budgets")
    parser.add_argument("--landscapes", default="smooth,deceptive")
    parser.add_argument("--contestants", default="polca,gepa,miprov2")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "raw.json")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("DSPY_CACHEDIR", tempfile.mkdtemp(prefix="polca-prompt-bench-"))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from benchmarks.prompts.report import render

    runs, started = [], time.perf_counter()
    budgets = [int(b) for b in args.budgets.split(",")]
    for landscape in args.landscapes.split(","):
        for seed in range(args.seeds):
            runs.append(seed_row(landscape, seed))
            for budget in budgets:
                for contestant in args.contestants.split(","):
                    runs.append(run_one(contestant, landscape, seed, budget))
                    log.warning("%s %s seed %d budget %d: %.3f", contestant, landscape, seed, budget,
                                runs[-1]["true_quality"])
    total_s = time.perf_counter() - started
    meta = {"seeds": args.seeds, "budgets": budgets, "total_wall_s": total_s, "python": platform.python_version(),
            "command": "python -m benchmarks.prompts.run " + " ".join(argv if argv is not None else sys.argv[1:])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
    args.results.write_text(render(meta, runs))




if __name__ == "__main__":
    main()
