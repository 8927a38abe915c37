"""The prompt benchmark's pieces: a task model that rewards better cues, a proposer that
speaks every contestant's format, and each contestant end to end on a tiny budget."""

from __future__ import annotations

import json

import dspy
import pytest

from benchmarks.prompts.contestants import mipro_candidates, mipro_trials
from benchmarks.prompts.proposer import SimulatedProposer
from benchmarks.prompts.run import run_one
from benchmarks.prompts.task import (
    FeedbackMetric,
    TaskModel,
    instruction,
    make_examples,
    true_quality,
)
from benchmarks.search.model import ModelSpec, SimulatedModel, find_hints
from benchmarks.search.problems import get_landscape

SMOOTH = get_landscape("smooth")
BEST = (0.8, 0.3, 0.7, 0.2)


def _request(system: str, user: str) -> dict:
    return {"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}


def test_the_task_model_is_right_more_often_under_better_cues() -> None:
    model = TaskModel(SMOOTH)
    questions = make_examples(40, 0, "heldout")

    def accuracy(text: str) -> float:
        system = f"... your objective is: {text}"
        answers = [model(_request(system, f"[[ ## question ## ]]\n{ex.question}\n\nRespond"))
                   for ex in questions]
        return sum(f"\n{ex.answer}\n" in a for a, ex in zip(answers, questions, strict=True)) / len(questions)

    seed, best = instruction(SMOOTH.seed_point), instruction(BEST)
    assert accuracy(best) == 1.0 == true_quality(best, SMOOTH)
    assert accuracy(seed) < 0.6 and true_quality(seed, SMOOTH) < 0.4
    with pytest.raises(ValueError, match="not a DSPy"):
        model(_request("hello", "hi"))


def test_the_feedback_metric_hints_from_the_instruction_in_the_trace() -> None:
    metric = FeedbackMetric(SMOOTH)
    predictor = dspy.Predict(dspy.Signature("question -> answer", instruction(SMOOTH.seed_point)))
    gold = dspy.Example(question="1 + 2", answer="3").with_inputs("question")
    result = metric(gold, dspy.Prediction(answer="4"), [(predictor, {}, {})])
    assert result.score == 0.0 and "expected 3" in result.feedback and find_hints(result.feedback)
    assert metric(gold, dspy.Prediction(answer="3")).feedback == "correct"


def test_the_simulated_proposer_answers_polca_gepa_and_mipro_prompts() -> None:
    proposer = SimulatedProposer(SimulatedModel(SMOOTH, ModelSpec(), seed=0))
    seed = instruction(SMOOTH.seed_point)
    polca = proposer({"messages": [{"role": "user", "content":
                     f'## Current parameters\n<current name="self.instructions">\n{seed}\n</current>\n\n'
                     "## Feedback on the current minibatch\nhint: x0 too low\n## Answer format\n..."}]})
    gepa = proposer(_request("`new_instruction`", f"[[ ## current_instruction ## ]]\n{seed}\n\n"
                             "[[ ## examples_with_feedback ## ]]\n[{\"Feedback\": \"hint: x1 too high\"}]\n\nRespond"))
    mipro = proposer(_request("`proposed_instruction`", f"[[ ## basic_instruction ## ]]\n{seed}\n\nRespond"))
    assert '<param name="self.instructions">' in polca and "Cue strengths" in polca
    assert true_quality(json.loads(gepa)["new_instruction"], SMOOTH) >= 0.0
    assert mipro.startswith("[[ ## proposed_instruction ## ]]") and proposer.calls == 3
    with pytest.raises(ValueError, match="no known format"):
        proposer(_request("x", "y"))


def test_mipro_trials_fit_the_budget() -> None:
    assert mipro_trials(120, 15) == 8  # 55 + 8 * 8 = 119 calls
    assert mipro_trials(10, 15) == 1
    assert mipro_candidates(8) == 6 and mipro_candidates(43) == 29


@pytest.mark.parametrize("contestant", ["polca", "gepa", "miprov2"])
def test_every_contestant_runs_end_to_end_on_a_tiny_budget(contestant: str) -> None:
    if contestant == "miprov2":
        pytest.importorskip("optuna", reason="dspy.MIPROv2 needs optuna")
    run = run_one(contestant, "smooth", seed=0, budget=70)
    assert run["unscripted_requests"] == 0 and run["metric_calls"] > 0 and run["proposer_calls"] > 0
    assert 0.0 <= run["heldout_accuracy"] <= 1.0 and "Cue strengths" in run["instruction"]
