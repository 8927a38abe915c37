"""Checkpoints and resume: a resumed run continues exactly where the stored one stopped."""

from __future__ import annotations

import pytest

from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.api import optimize
from polca.optimizer.checkpoint import RunCheckpoint
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.embedding import HashedNgramEmbedder
from polca.optimizer.engine import Engine
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from polca.optimizer.summarizer import SummaryRequest, SummaryResult
from tests.test_optimizer_builders import WordsDomain, add_missing_word

OPTIONS = {"batch_size": 2, "num_candidates": 2, "num_proposals": 2, "num_pool": 0, "seed": 5}


class CountingSummarizer:
    """Deterministic: the new summary names the iteration and the sampled texts."""

    def summarize(self, request: SummaryRequest) -> SummaryResult:
        texts = sorted(s.candidate.params["text"] for s in request.samples)
        return SummaryResult(f"it{request.iteration}: {texts}", "counted")


def _run(store=None, *, resume_id=None, run_id_new=None, **options):
    bus, seen = EventBus(), []
    bus.subscribe(Event, seen.append)
    result = optimize(WordsDomain(), ScriptedProposer(add_missing_word), store=store,
                      run_id=resume_id or run_id_new, resume=resume_id is not None, events=bus,
                      executor=SerialExecutor(), summarizer=CountingSummarizer(),
                      **{**OPTIONS, **options})
    return result, seen


def _trace(seen, after: int = 0) -> list:
    """What happened, by content (candidate ids are random): batches, scores, texts."""
    return [(e.iteration, e.role, e.batch_ids, e.scores, e.mean_score, e.num_scores)
            for e in seen if isinstance(e, ev.CandidateEvaluated) and e.iteration > after]


def _queue_by_text(engine: Engine) -> list[tuple[str, float, int]]:
    return [(engine.queue.entry(cid).candidate.params["text"], priority,
             len(engine.queue.entry(cid).history)) for cid, priority in engine.queue.queued()]


def test_resume_continues_with_the_same_queue_as_an_uninterrupted_run(store) -> None:
    first, _ = _run(store, max_iterations=3)
    resumed, resumed_seen = _run(store, resume_id=first.run_id, max_iterations=6)
    whole, whole_seen = _run(max_iterations=6)
    assert resumed.run_id == first.run_id and resumed.iterations == 6
    assert _trace(resumed_seen) == _trace(whole_seen, after=3)
    assert resumed.best.params == whole.best.params
    assert resumed.summary == whole.summary and resumed.evaluations == whole.evaluations


def test_restored_engine_holds_the_stored_queue_and_state(store) -> None:
    config = OptimizerConfig(max_iterations=3, **OPTIONS)
    args = {"embedder": HashedNgramEmbedder(), "executor": SerialExecutor(),
            "summarizer": CountingSummarizer()}
    checkpoint = RunCheckpoint.create(store, config.to_dict())
    original = Engine(WordsDomain(), ScriptedProposer(add_missing_word), config,
                      checkpoint=checkpoint, **args)
    original.run()
    restored = Engine(WordsDomain(), ScriptedProposer(add_missing_word), config, **args)
    restored._restore(checkpoint.load())
    assert _queue_by_text(restored) == _queue_by_text(original)
    assert restored.state() | {"budget": None} == original.state() | {"budget": None}
    assert len(restored.net) == len(original.net)


def test_every_iteration_is_checkpointed_with_full_histories(store) -> None:
    result, seen = _run(store, max_iterations=2)
    run = store.get_run(result.run_id)
    assert run.iteration == 2 and run.state["iteration"] == 2
    evaluated = sum(len(e.scores) for e in seen if isinstance(e, ev.CandidateEvaluated))
    assert len(store.evaluations(run.id)) == evaluated == result.evaluations


def test_resume_needs_a_store_and_a_run_id() -> None:
    with pytest.raises(ValueError, match="needs store"):
        optimize(WordsDomain(), ScriptedProposer(add_missing_word), resume=True)
    with pytest.raises(ValueError, match="needs store"):
        optimize(WordsDomain(), ScriptedProposer(add_missing_word), run_id="abc")


def test_a_search_starts_in_a_run_the_caller_created_but_never_overwrites_one(store) -> None:
    run_id = store.create_run("program", OptimizerConfig().to_dict(), name="mine")
    result, _ = _run(store, max_iterations=1, run_id_new=run_id)
    assert result.run_id == run_id and store.get_run(run_id).status == "finished"
    with pytest.raises(ValueError, match="pass resume=True"):
        _run(store, max_iterations=1, run_id_new=run_id)
    with pytest.raises(ValueError, match="no checkpointed iteration"):
        _run(store, resume_id=store.create_run("program", {}))


@pytest.mark.parametrize("reevaluation", ["fixed", "adaptive"])
def test_a_finished_run_resumed_with_more_budget_equals_a_longer_run(store, reevaluation) -> None:
    options = {"num_pool": 3, "reevaluation": reevaluation}
    first, first_seen = _run(store, max_iterations=3, **options)
    assert any(e.role == "final" for e in first_seen if isinstance(e, ev.CandidateEvaluated))
    resumed, resumed_seen = _run(store, resume_id=first.run_id, max_iterations=6, **options)
    whole, whole_seen = _run(max_iterations=6, **options)
    assert _trace(resumed_seen) == _trace(whole_seen, after=3)  # final pool included
    # children were raced (scored one instance at a time) in the resumed part as well
    assert any(role == "child" and len(scores) == 1 for _, role, _, scores, _, _ in _trace(resumed_seen))
    assert resumed.evaluations == whole.evaluations
    assert resumed.best.params == whole.best.params and resumed.best_score == whole.best_score
    assert (resumed.history_mean, resumed.history_num_scores) == (
        whole.history_mean, whole.history_num_scores)
