"""Expansion policies: which explorers get children, on plain standings and in the engine."""

from __future__ import annotations

import math

import pytest

from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.api import optimize
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from polca.optimizer.strategies.expansion import (
    AdaptiveExpansion,
    FocusExpansion,
    SpreadExpansion,
    make_expansion,
)
from polca.optimizer.strategies.reevaluation import Evidence, Standing
from tests.test_optimizer_builders import WordsDomain, add_missing_word


def _standings(*means_and_counts: tuple[float, int]) -> list[Standing]:
    return [Standing(f"c{i}", m, n) for i, (m, n) in enumerate(means_and_counts)]


def _noise(sd: float, dof: int = 20) -> Evidence:
    return Evidence(sd, dof, ())


UNMEASURED = Evidence(math.nan, 0, ())


def test_spread_gives_every_explorer_its_children() -> None:
    explorers = _standings((0.9, 5), (0.4, 9), (0.1, 1))
    assert SpreadExpansion().allot(explorers, _noise(0.0), 2) == [2, 2, 2]


def test_focus_gives_the_children_to_the_explorer_with_the_best_mean() -> None:
    policy = FocusExpansion()
    assert policy.allot(_standings((0.4, 9), (0.9, 5), (0.1, 1)), _noise(0.3), 3) == [0, 3, 0]
    # A child that beat its parent on one minibatch is expanded next, however few its scores.
    assert policy.allot(_standings((0.70, 40), (0.71, 5)), _noise(0.3), 2) == [0, 2]


def test_focus_breaks_ties_by_pop_order_and_ignores_unscored_explorers() -> None:
    policy = FocusExpansion()
    assert policy.allot(_standings((0.5, 5), (0.5, 5)), _noise(0.1), 2) == [2, 0]
    unscored = [Standing("new", math.nan, 0), *_standings((0.2, 5))]
    assert policy.allot(unscored, _noise(0.1), 2) == [0, 2]
    assert policy.allot([], _noise(0.1), 2) == []


def test_adaptive_expands_only_the_leader_when_one_minibatch_separates_them() -> None:
    policy = AdaptiveExpansion()
    explorers = _standings((0.70, 5), (0.75, 5))
    assert policy.allot(explorers, _noise(0.0), 2) == [0, 2]  # no noise: any gap is real
    assert policy.allot(_standings((0.40, 5), (0.75, 5)), _noise(0.1), 2) == [0, 2]  # 0.35 > 0.12


def test_adaptive_expands_every_explorer_still_tied_with_the_leader() -> None:
    policy = AdaptiveExpansion()
    explorers = _standings((0.70, 5), (0.75, 5), (0.45, 5))  # margin at sd 0.1: 0.12
    assert policy.allot(explorers, _noise(0.1), 2) == [2, 2, 0]
    assert policy.allot(explorers, _noise(0.3), 2) == [2, 2, 2]  # margin 0.37
    # More scores shrink the margin until the runner-up is no longer expanded.
    assert policy.allot(_standings((0.70, 80), (0.75, 80)), _noise(0.1), 2) == [0, 2]


def test_adaptive_spreads_until_the_noise_is_measured() -> None:
    explorers = _standings((0.1, 5), (0.9, 5))
    assert AdaptiveExpansion().allot(explorers, UNMEASURED, 2) == [2, 2]
    assert AdaptiveExpansion().allot(explorers, _noise(0.0, dof=3), 2) == [2, 2]


def test_unknown_expansion_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown expansion 'greedy'.*\['adaptive', 'focus', 'spread'\]"):
        make_expansion("greedy")
    with pytest.raises(ValueError, match="expansion='greedy' is unknown"):
        OptimizerConfig(expansion="greedy")


def _run(expansion: str) -> tuple[list[tuple[dict[str, float], set[str]]], int]:
    """Per iteration: the explorers' means when children were asked, and the parents
    asked; and the proposals the run counted."""
    bus, seen = EventBus(), []
    bus.subscribe(Event, seen.append)

    def propose(parent, evaluations, rng):
        seen.append(("asked", parent.id))
        return add_missing_word(parent, evaluations, rng)

    result = optimize(WordsDomain(), ScriptedProposer(propose), events=bus,
                      executor=SerialExecutor(), batch_size=3, seed=1, num_pool=0,
                      max_iterations=5, num_candidates=2, num_proposals=2, expansion=expansion)
    iterations: list[tuple[dict[str, float], set[str]]] = []
    means: dict[str, float] = {}
    for item in seen:
        if isinstance(item, ev.IterationStarted):
            iterations.append(({cid: means.get(cid, math.nan) for cid in item.explorer_ids}, set()))
        elif isinstance(item, ev.CandidateEvaluated):
            means[item.candidate_id] = item.mean_score
            if item.role == "explorer":
                iterations[-1][0][item.candidate_id] = item.mean_score
        elif isinstance(item, tuple):
            iterations[-1][1].add(item[1])
    return iterations, result.proposals


def test_the_engine_asks_only_the_leading_explorer_for_children_under_focus() -> None:
    iterations, proposals = _run("focus")
    assert len(iterations) == 5 and proposals == 5 * 2
    for explorers, asked in iterations:
        assert len(asked) == 1
        assert explorers[asked.pop()] == max(explorers.values())
    assert any(len(explorers) == 2 for explorers, _ in iterations)  # a choice was made


def test_spread_asks_every_explorer_as_the_paper_does() -> None:
    iterations, proposals = _run("spread")
    assert all(set(explorers) == asked for explorers, asked in iterations)
    assert proposals == sum(2 * len(explorers) for explorers, _ in iterations)
