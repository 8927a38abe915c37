"""Re-evaluation policies: decisions on synthetic histories, and what the engine spends."""

from __future__ import annotations

import math

import pytest

from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.api import optimize
from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from polca.optimizer.queue import CandidateQueue, PriorityParams, Trial, get_priority
from polca.optimizer.strategies.reevaluation import (
    AdaptiveReevaluation,
    Evidence,
    FixedReevaluation,
    Standing,
    make_reevaluation,
)
from tests.test_optimizer_builders import WordsDomain, add_missing_word


def _evidence(noise_sd: float, *means_and_counts: tuple[float, int], dof: int = 20) -> Evidence:
    top = tuple(Standing(f"c{i}", m, n) for i, (m, n) in enumerate(means_and_counts))
    return Evidence(noise_sd, dof, tuple(sorted(top, key=lambda s: -s.mean)))


def test_without_noise_nothing_is_rescored_and_the_final_pool_is_empty() -> None:
    evidence = _evidence(0.0, (0.9, 5), (0.9, 5), (0.5, 5))
    policy = AdaptiveReevaluation()
    assert policy.rescore(list(evidence.top), evidence) == [False, False, False]
    assert policy.final_pool(evidence, limit=3) == 0


def test_a_gap_one_minibatch_resolves_needs_no_rescoring_and_one_final_measurement() -> None:
    evidence = _evidence(0.1, (0.9, 5), (0.5, 5), (0.4, 5))  # gap 0.4 vs margin 0.12
    policy = AdaptiveReevaluation()
    assert policy.rescore(list(evidence.top), evidence) == [False, False, False]
    assert policy.final_pool(evidence, limit=3) == 1


def test_candidates_inside_the_noise_are_rescored_and_all_enter_the_final_pool() -> None:
    evidence = _evidence(0.3, (0.62, 5), (0.60, 5), (0.58, 5))
    policy = AdaptiveReevaluation()
    assert policy.rescore(list(evidence.top), evidence) == [True, True, True]
    assert policy.final_pool(evidence, limit=3) == 3
    assert policy.final_pool(evidence, limit=2) == 2


def test_more_scores_shrink_the_margin_until_the_tie_is_resolved() -> None:
    policy = AdaptiveReevaluation()
    tied = _evidence(0.2, (0.70, 5), (0.55, 5))
    resolved = _evidence(0.2, (0.70, 40), (0.55, 40))
    assert policy.rescore([tied.top[0]], tied) == [True]
    assert policy.rescore([resolved.top[0]], resolved) == [False]


def test_until_the_noise_is_measured_adaptive_behaves_like_fixed() -> None:
    unmeasured = Evidence(math.nan, 0, (Standing("a", 0.9, 5), Standing("b", 0.1, 5)))
    few = Evidence(0.0, 2, unmeasured.top)
    for evidence in (unmeasured, few):
        assert AdaptiveReevaluation().rescore(list(evidence.top), evidence) == [True, True]
        assert AdaptiveReevaluation().final_pool(evidence, 3) == 3


def test_an_unscored_explorer_is_always_evaluated() -> None:
    evidence = _evidence(0.0, (0.9, 5))
    assert AdaptiveReevaluation().rescore([Standing("new", math.nan, 0)], evidence) == [True]


def test_fixed_rescores_everything_and_keeps_the_whole_pool() -> None:
    evidence = _evidence(0.0, (0.9, 5), (0.1, 5))
    assert FixedReevaluation().rescore(list(evidence.top), evidence) == [True, True]
    assert FixedReevaluation().final_pool(evidence, 3) == 3


def test_unknown_policy_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"\['adaptive', 'fixed'\]"):
        make_reevaluation("sometimes")


def test_queue_noise_is_the_pooled_spread_of_repeated_scores() -> None:
    queue = CandidateQueue(get_priority("mean"), PriorityParams())
    for cid, scores in (("a", [0.7, 0.7, 0.7]), ("b", [0.2, 0.4]), ("c", [0.9])):
        queue.add(Candidate({"t": cid}, id=cid))
        queue.record(cid, [Trial(Evaluation(s), f"train/{i}", 1) for i, s in enumerate(scores)])
    sd, dof = queue.noise()
    assert dof == 3  # (3 - 1) + (2 - 1)
    assert sd == pytest.approx(math.sqrt(0.02 / 3))
    flat = CandidateQueue(get_priority("mean"), PriorityParams())
    flat.add(Candidate({"t": "x"}, id="x"))
    flat.record("x", [Trial(Evaluation(0.7), f"train/{i}", 1) for i in range(7)])
    assert flat.noise() == (0.0, 6)  # exactly 0: equal scores never read as noise


def test_of_a_tied_pair_the_side_with_fewer_scores_is_rescored() -> None:
    """A challenger that beat a well-measured leader on one minibatch is re-scored, not the
    leader; one that trails it is re-scored too; equal counts re-score both."""
    policy = AdaptiveReevaluation()
    challenger = _evidence(0.1, (0.72, 5), (0.70, 40))
    assert policy.rescore(list(challenger.top), challenger) == [True, False]
    trailing = _evidence(0.1, (0.70, 40), (0.68, 5))
    assert policy.rescore(list(trailing.top), trailing) == [False, True]
    even = _evidence(0.1, (0.70, 10), (0.68, 10))
    assert policy.rescore(list(even.top), even) == [True, True]


def test_only_explorers_that_may_still_be_best_are_rescored() -> None:
    evidence = _evidence(0.1, (0.9, 5), (0.5, 5), (0.45, 5))  # 0.5 and 0.45 tie, far below
    assert AdaptiveReevaluation().rescore(list(evidence.top), evidence) == [False, False, False]
    close = _evidence(0.1, (0.9, 5), (0.85, 5), (0.4, 5))
    assert AdaptiveReevaluation().rescore(list(close.top), close) == [True, True, False]


class _ShareDomain(WordsDomain):
    """Every instance scores the share of all words present: no noise, no instance effect."""

    def evaluate(self, candidate: Candidate, batch) -> list[Evaluation]:
        tokens = set(candidate.params["text"].split())
        share = sum(w in tokens for w in self.words) / len(self.words)
        missing = [w for w in self.words if w not in tokens]
        return [Evaluation(share, f"missing '{missing[0]}'" if missing else "complete")
                for _ in batch]


def _run(proposer_fn=add_missing_word, **options):
    bus, seen = EventBus(), []
    bus.subscribe(Event, seen.append)
    result = optimize(_ShareDomain(), ScriptedProposer(proposer_fn), events=bus,
                      executor=SerialExecutor(), batch_size=3, seed=1, **options)
    roles = [e.role for e in seen if isinstance(e, ev.CandidateEvaluated)]
    return result, roles


def test_on_a_noiseless_domain_adaptive_spends_its_budget_on_children() -> None:
    fixed, fixed_roles = _run(max_evaluations=90, reevaluation="fixed")
    adaptive, adaptive_roles = _run(max_evaluations=90, reevaluation="adaptive")
    assert adaptive_roles.count("explorer") < fixed_roles.count("explorer")
    assert adaptive_roles.count("child") >= fixed_roles.count("child")
    assert adaptive.evaluations <= 90 and fixed.evaluations <= 90
    assert adaptive.best_score >= fixed.best_score
    assert "final" in fixed_roles and "final" not in adaptive_roles


def test_a_search_whose_children_are_all_duplicates_still_spends_its_budget() -> None:
    """No noise and no new child: the explorers are re-scored so the run ends."""
    result, roles = _run(max_evaluations=30, num_pool=0,
                         proposer_fn=lambda parent, evaluations, rng: dict(parent.params))
    assert result.stop_reason == "evaluations" and "child" not in roles
