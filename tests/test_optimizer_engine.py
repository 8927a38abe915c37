"""The POLCA loop: shared minibatches, growing histories, events, budgets, determinism."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest

from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.api import optimize
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Candidate, Evaluation, ProposalContext
from polca.optimizer.embedding import HashedNgramEmbedder
from polca.optimizer.engine import Engine
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from tests.test_optimizer_builders import (
    MeasuredWordsDomain,
    ValidatedWordsDomain,
    WordsDomain,
    add_missing_word,
)


def _recorder() -> tuple[EventBus, list[Event]]:
    bus, seen = EventBus(), []
    bus.subscribe(Event, seen.append)
    return bus, seen


def _proposer(fn) -> ScriptedProposer:
    return ScriptedProposer(fn)


def _junk(parent: Candidate, evaluations: Sequence[Evaluation], rng: np.random.Generator) -> dict[str, str]:
    return {"text": f"junk{int(rng.integers(10**9))}"}


def _run(domain=None, proposer=None, **options):
    bus, seen = _recorder()
    result = optimize(
        domain or WordsDomain(),
        proposer or ScriptedProposer(add_missing_word),
        events=bus,
        executor=SerialExecutor(),
        **options,
    )
    return result, seen


def _of(seen: list[Event], kind: type) -> list:
    return [e for e in seen if isinstance(e, kind)]


def test_explorers_and_children_share_one_minibatch_per_iteration() -> None:
    domain = WordsDomain()
    _, seen = _run(domain, max_iterations=4, batch_size=3, num_candidates=2)
    for started in _of(seen, ev.IterationStarted):
        evaluated = [e for e in _of(seen, ev.CandidateEvaluated)
                     if e.iteration == started.iteration and e.role != "final"]
        assert {e.role for e in evaluated} >= {"explorer", "child"}
        assert {e.batch_ids for e in evaluated if e.role == "explorer"} <= {started.batch_ids}
        # a raced child is scored stage by stage, each stage on part of the same minibatch
        assert all(set(e.batch_ids) <= set(started.batch_ids) for e in evaluated)
    explorers_per_iteration = [len(s.explorer_ids) for s in _of(seen, ev.IterationStarted)]
    assert explorers_per_iteration[0] == 1 and max(explorers_per_iteration) == 2


def test_a_reexplored_candidate_keeps_every_score_it_ever_got() -> None:
    domain = WordsDomain(seed_text="alpha beta gamma")
    _, seen = _run(domain, _proposer(_junk), max_iterations=3, batch_size=3, num_candidates=1,
                   num_pool=0, reevaluation="fixed")
    seed_id = _of(seen, ev.RunStarted)[0].seed_id
    histories = [e.num_scores for e in _of(seen, ev.CandidateEvaluated) if e.candidate_id == seed_id]
    assert histories == [3, 6, 9]


def test_events_arrive_in_run_order() -> None:
    _, seen = _run(max_iterations=1, num_pool=1, batch_size=2, num_proposals=2)
    kinds = [type(e).__name__ for e in seen]
    assert kinds[:3] == ["RunStarted", "IterationStarted", "CandidateEvaluated"]
    assert kinds[-3:] == ["BudgetExhausted", "CandidateEvaluated", "RunFinished"]
    roles = [e.role for e in _of(seen, ev.CandidateEvaluated)]
    assert roles == sorted(roles, key=["explorer", "child", "final"].index)
    assert kinds.index("NewBest") > kinds.index("CandidateEvaluated")


def test_same_seed_same_run_and_another_seed_another_run() -> None:
    def trace(seed: int) -> list:
        _, seen = _run(max_iterations=4, seed=seed, batch_size=2)
        return [(e.role, e.batch_ids, e.scores) for e in _of(seen, ev.CandidateEvaluated)]

    assert trace(7) == trace(7)
    assert trace(7) != trace(8)


def test_the_search_improves_the_seed_and_reports_a_confidence_interval() -> None:
    result, _ = _run(max_iterations=12, batch_size=3, num_pool=2)
    assert result.best_score > 0.5 and result.best.origin == "scripted"
    assert result.num_final_scores == 6
    assert result.ci_low <= result.best_score <= result.ci_high


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"max_evaluations": 40, "num_pool": 1}, "evaluations"),
        ({"max_proposals": 5}, "proposals"),
        ({"max_iterations": 2}, "iterations"),
        ({"target_score": 1.0}, "target_score"),
    ],
)
def test_each_budget_stops_the_run(options: dict, reason: str) -> None:
    result, seen = _run(batch_size=3, **options)
    assert result.stop_reason == reason
    assert _of(seen, ev.BudgetExhausted)[0].reason == reason
    if reason == "evaluations":
        assert result.evaluations <= 40
    if reason == "proposals":
        assert result.proposals >= 5 and result.iterations <= 3
    if reason == "target_score":
        assert max(e.mean_score for e in _of(seen, ev.NewBest)) >= 1.0


def test_wall_time_budget_reads_the_injected_clock() -> None:
    ticks = itertools.count(0.0, 10.0)
    config = OptimizerConfig(max_wall_s=35.0, batch_size=2, num_pool=0)
    engine = Engine(WordsDomain(), ScriptedProposer(add_missing_word), config,
                    embedder=HashedNgramEmbedder(), executor=SerialExecutor(),
                    clock=lambda: next(ticks))
    result = engine.run()
    assert result.stop_reason == "wall_s" and result.wall_s >= 35.0
    assert result.iterations == 3  # each budget check reads the clock once


def test_an_evaluation_budget_too_small_for_the_final_selection_is_refused() -> None:
    with pytest.raises(ValueError, match="raise max_evaluations, or lower num_pool"):
        _run(max_evaluations=10, num_pool=3)


def test_children_are_scored_on_validation_minibatches_when_the_domain_has_them() -> None:
    result, seen = _run(ValidatedWordsDomain(), max_iterations=3, batch_size=2, num_pool=1,
                        reevaluation="fixed")
    for e in _of(seen, ev.CandidateEvaluated):
        prefix = {"explorer": "train/", "child": "val/", "final": "val/"}[e.role]
        assert all(b.startswith(prefix) for b in e.batch_ids)
    assert result.num_final_scores == 3


def test_a_child_breaking_the_proposer_contract_is_a_failed_proposal() -> None:
    class Orphans:
        def propose(self, parent, evaluations, context: ProposalContext):
            return [Candidate({"text": "orphan"}, parents=("nobody",))]

    result, seen = _run(proposer=Orphans(), max_iterations=2, num_pool=0)
    failures = _of(seen, ev.ProposalFailed)
    assert failures and "expected" in failures[0].reason
    assert result.num_candidates == 1


def test_a_raising_domain_scores_the_floor_with_the_error_as_feedback() -> None:
    class Raising(WordsDomain):
        def evaluate(self, candidate, batch):
            if "beta" in candidate.params["text"]:
                raise RuntimeError("boom")
            return super().evaluate(candidate, batch)

    config = OptimizerConfig(max_iterations=4, batch_size=6, score_range=(-1.0, 1.0), num_pool=0)
    engine = Engine(Raising(), ScriptedProposer(add_missing_word), config,
                    embedder=HashedNgramEmbedder(), executor=SerialExecutor())
    engine.run()
    trials = [t for e in engine.queue.entries() for t in e.history]
    broken = [t.evaluation for t in trials if t.evaluation.status == "error"]
    assert broken and all(e.score == -1.0 and "boom" in e.feedback for e in broken)


def test_bad_config_values_say_the_rule_and_the_fix() -> None:
    with pytest.raises(ValueError, match="needs score_range"):
        OptimizerConfig(priority="ucb")
    with pytest.raises(ValueError, match="epsilon=3"):
        OptimizerConfig(epsilon=3)
    with pytest.raises(TypeError, match="must be an int"):
        OptimizerConfig(batch_size=2.5)
    with pytest.raises(TypeError, match="known options"):
        OptimizerConfig().replace(batchsize=3)


def test_optimize_needs_a_proposer_or_a_model() -> None:
    with pytest.raises(ValueError, match="pass proposer="):
        optimize(WordsDomain())


def test_an_executor_given_by_name_points_to_the_config_field() -> None:
    with pytest.raises(TypeError, match=r"OptimizerConfig\(executor='serial'\)"):
        optimize(WordsDomain(), executor="serial")


def _copy_and_grow(parent: Candidate, evaluations: Sequence[Evaluation], rng: np.random.Generator) -> dict[str, str]:
    grow = bool(rng.integers(2))
    return {"text": parent.params["text"] + (f" w{int(rng.integers(10**6))}" if grow else "")}


@pytest.mark.parametrize("epsilon", [0.05, 0.0])
def test_engine_drops_copies_of_memory_unevaluated_unless_the_net_is_off(epsilon: float) -> None:
    domain = WordsDomain()
    _, seen = _run(domain, _proposer(_copy_and_grow), max_iterations=3, num_pool=0,
                   num_proposals=4, epsilon=epsilon, expansion="spread")
    rejected = _of(seen, ev.ProposalRejected)
    children = [e for e in _of(seen, ev.CandidateEvaluated) if e.role == "child"]
    evaluated_ids = {cid for cid, _ in domain.calls}
    if epsilon:
        assert rejected and all(r.distance <= epsilon for r in rejected)
        assert not {r.candidate_id for r in rejected} & evaluated_ids
    else:
        # 1, then 2 explorers x 4 children (a raced child has one event per stage)
        assert not rejected and len({e.candidate_id for e in children}) == 4 + 8 + 8


@pytest.mark.parametrize("num_pool", [0, 2])
def test_a_domain_that_measures_a_batch_as_one_counts_one_evaluation_per_measurement(store, num_pool) -> None:
    domain = MeasuredWordsDomain()
    result, seen = _run(domain, max_evaluations=12, batch_size=3, num_pool=num_pool, store=store)
    rows = store.evaluations(result.run_id)
    assert result.evaluations == len(domain.calls) == len(rows) <= 12
    assert Counter(r.candidate_id for r in rows) == Counter(cid for cid, _ in domain.calls)
    evaluated = _of(seen, ev.CandidateEvaluated)
    finals = sum(e.role == "final" for e in evaluated)
    assert (finals > 0) == (num_pool > 0) and finals <= num_pool
    search, final = rows[: len(rows) - finals], rows[len(rows) - finals:]
    # each row names the instances it measured: a minibatch, or every instance for the final pool
    assert [len(r.batch_ids) for r in search + final] == [3] * len(search) + [6] * finals
    assert all(len(e.scores) == 1 for e in evaluated)
    histories = {e.candidate_id: e.num_scores for e in evaluated if e.role != "final"}
    assert histories == dict(Counter(r.candidate_id for r in search))  # one score per measurement


def test_a_plain_domain_still_records_one_evaluation_per_instance(store) -> None:
    domain = WordsDomain()
    result, _ = _run(domain, max_evaluations=12, batch_size=3, num_pool=0, store=store)
    rows = store.evaluations(result.run_id)
    assert result.evaluations == len(rows) == 3 * len(domain.calls)
    assert all(len(r.batch_ids) == 1 for r in rows)
