"""The LLM proposer and summarizer through the real client stack to the scripted server."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from polca.events import Event, EventBus
from polca.llm import LLMClient
from polca.optimizer import events as ev
from polca.optimizer.api import optimize
from polca.optimizer.contracts import Candidate, Evaluation, ProposalContext
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import (
    NO_VALUE,
    LLMProposer,
    build_prompt,
    failure_kind,
    parse_answer,
)
from polca.optimizer.summarizer import LLMSummarizer
from tests.test_optimizer_builders import WordsDomain

MODEL = "openai/gpt-4o-mini"  # priced in litellm's local cost map, so cost is known
_CURRENT = re.compile(r'<current name="text">\n(.*?)\n</current>', re.DOTALL)
_MISSING = re.compile(r"missing '(\w+)'")


def _client(llm_config, server) -> LLMClient:
    return LLMClient(dataclasses.replace(llm_config, model=MODEL, api_base=server.api_base))


def _prompt(body: dict) -> str:
    return body["messages"][-1]["content"]


def _is_summary(body: dict) -> bool:
    return "<summary>" in _prompt(body)


def _word_model(body: dict) -> str:
    """A scripted model that reads the documented prompt layout and adds a missing word."""
    prompt = _prompt(body)
    current = _CURRENT.search(prompt).group(1)
    missing = _MISSING.findall(prompt.split("## Feedback on the current minibatch")[1])
    word = missing[0] if missing else "filler"
    return f"<reasoning>the feedback says {word} is missing</reasoning>\n<param name=\"text\">\n{current} {word}\n</param>"


def _context(**changes) -> ProposalContext:
    return dataclasses.replace(ProposalContext("Collect words.", num_proposals=1), **changes)


def test_parse_answer_reads_params_and_unwraps_one_code_fence() -> None:
    answer = '<reasoning>why</reasoning>\n<param name="code">\n```python\nx = 1\n```\n</param>'
    parsed = parse_answer(answer, ["code"])
    assert parsed.params == {"code": "x = 1"} and parsed.reasoning == "why" and not parsed.error


@pytest.mark.parametrize(
    ("answer", "error"),
    [("no tags at all", "no <param"), ('<param name="other">v</param>', "unknown parameter")],
)
def test_parse_answer_explains_what_is_malformed(answer: str, error: str) -> None:
    assert error in parse_answer(answer, ["code"]).error


def test_prompt_places_parameters_feedback_and_summary_where_documented() -> None:
    parent = Candidate({"text": "start"})
    evaluations = [Evaluation(0.0, "missing 'beta'", instance_id="train/1")]
    prompt = build_prompt(parent, evaluations, _context(summary="add words"))
    assert '<current name="text">\nstart\n</current>' in prompt
    assert "<feedback instance=\"train/1\" score=\"0\" status=\"ok\">\nmissing 'beta'\n</feedback>" in prompt
    assert "## Recommendations based on what worked\nadd words" in prompt
    assert "Recommendations" not in build_prompt(parent, evaluations, _context())


def test_a_measured_batch_is_one_feedback_block_over_all_its_instances() -> None:
    measured = [Evaluation(2.5, "timed together", instance_id="train/1+train/4+train/2")]
    prompt = build_prompt(Candidate({"code": "x = 1"}), measured, _context())
    assert "Mean score: 2.5 over 3 instances" in prompt and prompt.count("<feedback ") == 1


def test_a_malformed_answer_is_retried_once_with_the_reason(scripted_llm, llm_config) -> None:
    server = scripted_llm(["nonsense", '<param name="text">start beta</param>'])
    proposer = LLMProposer(_client(llm_config, server))
    outcome = proposer.propose_with_report(Candidate({"text": "start"}), [], _context())
    assert [c.params["text"] for c in outcome.children] == ["start beta"]
    assert "could not be read" in _prompt(server.chat_requests[1])


def test_two_malformed_answers_are_a_failed_proposal_event_not_a_crash(scripted_llm, llm_config) -> None:
    server = scripted_llm(lambda body: "I refuse to use tags")
    bus, failures = EventBus(), []
    bus.subscribe(ev.ProposalFailed, failures.append)
    result = optimize(WordsDomain(), LLMProposer(_client(llm_config, server)), events=bus,
                      executor=SerialExecutor(), max_iterations=1, num_proposals=1, num_pool=0)
    assert len(failures) == 1 and failure_kind(failures[0].reason) == NO_VALUE
    assert failures[0].reason.endswith("(twice)")
    assert len(server.chat_requests) == 2 and result.num_candidates == 1


def test_summary_replaces_the_old_one_and_reaches_the_next_prompt(scripted_llm, llm_config) -> None:
    summaries = iter(range(1, 100))

    def respond(body: dict) -> str:
        if _is_summary(body):
            return f"<reasoning>seen</reasoning><summary>ADVICE-{next(summaries)}</summary>"
        return _word_model(body)

    server = scripted_llm(respond)
    client = _client(llm_config, server)
    bus, updates = EventBus(), []
    bus.subscribe(ev.SummaryUpdated, updates.append)
    result = optimize(WordsDomain(), llm=client, events=bus, executor=SerialExecutor(),
                      max_iterations=3, num_candidates=1, num_proposals=1, batch_size=2, num_pool=0)
    assert [u.summary for u in updates] == ["ADVICE-1", "ADVICE-2", "ADVICE-3"]
    assert result.summary == "ADVICE-3"
    proposals = [_prompt(b) for b in server.chat_requests if not _is_summary(b)]
    assert "Recommendations" not in proposals[0]
    assert "## Recommendations based on what worked\nADVICE-1" in proposals[1]
    assert "ADVICE-1" not in proposals[2] and "ADVICE-2" in proposals[2]
    second_summary = [_prompt(b) for b in server.chat_requests if _is_summary(b)][1]
    assert "## Current summary\nADVICE-1" in second_summary


def test_summarizer_keeps_the_old_summary_on_malformed_answers(scripted_llm, llm_config) -> None:
    from polca.optimizer.summarizer import SummaryRequest

    server = scripted_llm(["no summary", "still none"])
    result = LLMSummarizer(_client(llm_config, server)).summarize(SummaryRequest("obj", "old", ()))
    assert not result.ok and result.summary == "old" and "<summary>" in result.error


def test_end_to_end_polca_through_litellm_improves_the_seed(scripted_llm, llm_config, store) -> None:
    def respond(body: dict) -> str:
        if _is_summary(body):
            return "<reasoning>more words score more</reasoning><summary>Add missing words.</summary>"
        return _word_model(body)

    server = scripted_llm(respond)
    bus, seen = EventBus(), []
    bus.subscribe(Event, seen.append)
    result = optimize(WordsDomain(), llm=_client(llm_config, server), store=store, events=bus,
                      max_iterations=8, batch_size=3, num_pool=2, seed=3)
    seed_score = next(e for e in seen if isinstance(e, ev.CandidateEvaluated)).mean_score
    assert seed_score == 0.0 and result.best_score >= 0.5
    assert result.best.origin == "llm" and "missing" in result.best.note
    assert result.cost_usd > 0
    run = store.get_run(result.run_id)
    assert run.status == "finished" and run.best_candidate_id == result.best.id
    assert len(store.candidates(run.id)) == result.num_candidates
    assert [s.text for s in store.summaries(run.id)][-1] == "Add missing words."


def test_dollar_budget_stops_the_run(scripted_llm, llm_config) -> None:
    server = scripted_llm(_word_model)
    client = _client(llm_config, server)
    result = optimize(WordsDomain(), llm=client, max_cost_usd=1e-9, summarize_every=0,
                      executor=SerialExecutor(), num_pool=0)
    assert result.stop_reason == "cost_usd" and result.iterations == 1
    assert result.cost_usd == pytest.approx(client.usage.cost_usd) and result.cost_usd > 0


def test_litellm_embedder_returns_unit_rows_from_the_embedding_endpoint(scripted_llm, llm_config) -> None:
    from polca.optimizer.embedding import LiteLLMEmbedder

    server = scripted_llm()
    embedder = LiteLLMEmbedder(_client(llm_config, server), "openai/text-embedding-3-small")
    vectors = embedder.embed(["a b", "c d", "a b"])
    assert vectors.shape[0] == 3 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(vectors[0], vectors[2])


def test_polca_optimize_is_the_engine_entry_point() -> None:
    import polca

    assert polca.optimize is optimize
