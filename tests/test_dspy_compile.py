"""``polca.dspy.POLCA.compile`` end to end: DSPy, litellm and the scripted model server.

The scripted task model answers in ChatAdapter's field format and gets an answer right
only when its system prompt holds the instruction cue ``digits``; the scripted proposer
answers POLCA's proposal prompt by adding that cue. Better instructions really score
better, so the search has something to find.
"""

from __future__ import annotations

import dataclasses
import re

import dspy
import pytest

from polca.dspy import POLCA
from polca.events import Event, EventBus
from polca.llm import LLMClient
from polca.optimizer.domains.prompt import (
    DSPyProgramDomain,
    param_name,
    program_params,
    with_instructions,
)
from polca.optimizer.proposers import ScriptedProposer
from polca.testing import ScriptedServer, Unscripted

WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
DATA = [("two plus three", "5"), ("one plus one", "2"), ("four plus two", "6"), ("three plus one", "4"),
        ("one plus two", "3"), ("two plus two", "4")]
CUE = "Reply with digits only."
_QUESTION = re.compile(r"\[\[ ## question ## \]\]\n(.*?)\n\n", re.S)
_CURRENT = re.compile(r'<current name="([^"]+)">\n(.*?)\n</current>', re.S)


def task_model(body: dict) -> str:
    """Answers ``question -> answer``: digits with the cue in the system prompt, words without."""
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    match = _QUESTION.search(user)
    if "your objective is" not in system or match is None:
        raise Unscripted("not a ChatAdapter question -> answer request")
    total = sum(WORDS[w] for w in match.group(1).split() if w in WORDS)
    answer = str(total) if CUE in system else next(w for w, v in WORDS.items() if v == total)
    return f"[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


def proposer_model(body: dict) -> str:
    """Answers POLCA's proposal prompt with the cue added to every instruction, and its summary prompt."""
    prompt = body["messages"][-1]["content"]
    if "## Candidates tried" in prompt:
        return "<reasoning>Digits won.</reasoning>\n<summary>Ask for digits.</summary>"
    params = _CURRENT.findall(prompt)
    if "## Current parameters" not in prompt or not params:
        raise Unscripted("not a POLCA proposal prompt")
    blocks = "".join(f'<param name="{name}">\n{value} {CUE}\n</param>\n' for name, value in params)
    return f"<reasoning>The metric wants digits.</reasoning>\n{blocks}"


def exact_match(gold, pred, trace=None) -> float:
    return float(gold.answer == pred.answer)


def feedback_metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
    right = gold.answer == pred.answer
    return dspy.Prediction(score=float(right), feedback="" if right else f"wrote {pred.answer!r}, not {gold.answer}")


def examples(rows=DATA) -> list[dspy.Example]:
    return [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in rows]


@pytest.fixture
def task_lm(scripted_llm) -> dspy.LM:
    server = scripted_llm(task_model)
    return dspy.LM("openai/scripted", api_base=server.api_base, api_key="x", cache=False, num_retries=0)


@pytest.fixture
def proposer_server(scripted_llm) -> ScriptedServer:
    return scripted_llm(proposer_model)


@pytest.fixture
def proposer_llm(proposer_server, llm_config) -> LLMClient:
    return LLMClient(dataclasses.replace(llm_config, model="openai/scripted", api_base=proposer_server.api_base))


def _optimizer(metric, llm, task_lm, **options) -> POLCA:
    settings = {"batch_size": 2, "num_candidates": 1, "num_proposals": 1, "summarize_every": 0,
                "num_pool": 2, "max_workers": 1, "executor": "serial", "seed": 0}
    return POLCA(metric, llm=llm, task_lm=task_lm, **{**settings, **options})


def test_compile_finds_the_instruction_cue_and_leaves_the_student_unchanged(task_lm, proposer_llm) -> None:
    student = dspy.Predict("question -> answer")
    seed_text = student.signature.instructions
    optimized = _optimizer(exact_match, proposer_llm, task_lm, max_iterations=2).compile(
        student, trainset=examples()[:4], valset=examples()[4:])
    assert CUE in optimized.signature.instructions
    assert student.signature.instructions == seed_text
    assert optimized.polca_result.best_score == 1.0
    with dspy.context(lm=task_lm):
        assert optimized(question="two plus four").answer == "6"


def test_feedback_metric_text_and_the_trace_reach_the_proposer(task_lm, proposer_llm, proposer_server) -> None:
    _optimizer(feedback_metric, proposer_llm, task_lm, max_iterations=1).compile(
        dspy.Predict("question -> answer"), trainset=examples()[:2])
    prompt = proposer_server.chat_requests[0]["messages"][-1]["content"]
    assert "wrote 'five', not 5" in prompt or "wrote 'two', not 2" in prompt
    assert "predictor self" in prompt and "'question':" in prompt


def test_plain_metric_failures_show_the_expected_labels(task_lm) -> None:
    domain = DSPyProgramDomain(dspy.Predict("question -> answer"), exact_match, examples()[:1], task_lm=task_lm)
    [evaluation] = domain.evaluate(domain.seed(), domain.instances())
    assert evaluation.score == 0.0 and "expected {'answer': '5'}" in evaluation.feedback
    assert "outputs: {'answer': 'five'}" in evaluation.feedback


class TwoStep(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.draft = dspy.Predict("question -> notes")
        self.final = dspy.Predict("question, notes -> answer")


def test_every_predictor_is_a_named_instruction_parameter() -> None:
    program = TwoStep()
    params = program_params(program)
    assert set(params) == {param_name("draft"), param_name("final")}
    copy = with_instructions(program, {"final.instructions": "Be exact."})
    assert copy.final.signature.instructions == "Be exact."
    assert program.final.signature.instructions != "Be exact."
    with pytest.raises(ValueError, match="name no predictor"):
        with_instructions(program, {"nope.instructions": "x"})


def test_bad_metrics_and_data_are_rejected_with_the_fix(task_lm) -> None:
    with pytest.raises(TypeError, match="must accept"):
        POLCA(lambda: 1.0, proposer=ScriptedProposer(lambda p, e, r: p.params))
    with pytest.raises(ValueError, match="proposer LM"):
        POLCA(exact_match)
    optimizer = POLCA(exact_match, proposer=ScriptedProposer(lambda p, e, r: p.params), task_lm=task_lm)
    with pytest.raises(ValueError, match="with_inputs"):
        optimizer.compile(dspy.Predict("question -> answer"), trainset=[dspy.Example(question="q", answer="a")])
    with pytest.raises(ValueError, match="trainset is empty"):
        optimizer.compile(dspy.Predict("question -> answer"), trainset=[])


def test_compile_resumes_a_stored_run_with_a_larger_budget(task_lm, store) -> None:
    def add_cue(parent, evaluations, rng):
        return {k: f"{v} {CUE}" for k, v in parent.params.items()}

    def run(**kwargs):
        bus, seen = EventBus(), []
        bus.subscribe(Event, seen.append)
        optimizer = POLCA(exact_match, proposer=ScriptedProposer(add_cue), task_lm=task_lm, store=store,
                          events=bus, batch_size=2, num_candidates=1, num_proposals=1, num_pool=0,
                          summarize_every=0, executor="serial", **kwargs)
        return optimizer.compile(dspy.Predict("question -> answer"), trainset=examples()[:4]), seen

    first, _ = run(max_iterations=1)
    run_id = first.polca_result.run_id
    resumed, seen = run(run_id=run_id, resume=True, max_iterations=3)
    assert resumed.polca_result.run_id == run_id
    assert resumed.polca_result.iterations == 3
    assert any(getattr(e, "resumed_at_iteration", 0) == 1 for e in seen)
    assert CUE in resumed.signature.instructions


class Broken(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.step = dspy.Predict("question -> answer")

    def forward(self, question):
        raise RuntimeError(f"cannot read {question!r}")


def test_a_program_or_metric_that_raises_is_a_failed_evaluation_not_a_crash(task_lm) -> None:
    domain = DSPyProgramDomain(Broken(), exact_match, examples()[:1], task_lm=task_lm)
    [failed] = domain.evaluate(domain.seed(), domain.instances())
    assert failed.status == "failed" and "RuntimeError: cannot read 'two plus three'" in failed.feedback

    def bad_metric(gold, pred, trace=None):
        raise KeyError("label")

    domain = DSPyProgramDomain(dspy.Predict("question -> answer"), bad_metric, examples()[:1], task_lm=task_lm)
    [error] = domain.evaluate(domain.seed(), domain.instances())
    assert error.status == "error" and error.score == 0.0 and "KeyError" in error.feedback
