"""Racing children: the policy's decisions on plain numbers, and what the engine spends."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest

from polca.config import SearchConfig
from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.api import optimize
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.domains.program.options import engine_knobs
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from polca.optimizer.queue import Entry, Trial
from polca.optimizer.strategies.racing import (
    NoRacing,
    PairedRacing,
    make_racing,
    paired_differences,
)
from polca.optimizer.strategies.reevaluation import Evidence
from tests.test_optimizer_builders import MeasuredWordsDomain


def _evidence(noise_sd: float, dof: int = 20) -> Evidence:
    return Evidence(noise_sd, dof, ())


def test_without_noise_one_worse_instance_stops_a_child_and_an_equal_one_goes_on() -> None:
    policy = PairedRacing()
    evidence = _evidence(0.0)
    assert policy.stages(evidence, 5) == [1, 2, 3, 4, 5]
    assert not policy.stays([-0.01], evidence)
    assert policy.stays([0.0], evidence)
    assert policy.stays([0.2], evidence)


def test_by_default_a_child_goes_on_only_while_level_with_its_parent_whatever_the_noise() -> None:
    policy = PairedRacing()
    for noise_sd in (0.0, 0.1, 0.3):
        assert not policy.stays([0.05, -0.06], _evidence(noise_sd))
        assert policy.stays([0.05, -0.05], _evidence(noise_sd))


def test_with_slack_a_small_deficit_goes_on_and_a_large_one_stops() -> None:
    policy = PairedRacing(z=1.645)
    evidence = _evidence(0.1)  # margin after one instance: 1.645 * sqrt(2) * 0.1 = 0.233
    assert policy.stays([-0.2], evidence)
    assert not policy.stays([-0.25], evidence)


def test_with_slack_more_instances_narrow_the_margin_until_a_steady_deficit_stops_a_child() -> None:
    policy = PairedRacing(z=1.645)
    evidence = _evidence(0.1)
    assert policy.stays([-0.12], evidence)
    assert policy.stays([-0.12, -0.12], evidence)  # margin 0.164
    assert not policy.stays([-0.12] * 4, evidence)  # margin 0.116


def test_until_the_noise_is_measured_a_child_gets_the_whole_minibatch_at_once() -> None:
    policy = PairedRacing()
    for evidence in (Evidence(math.nan, 0, ()), _evidence(0.0, dof=2)):
        assert policy.stages(evidence, 5) == [5]
        assert policy.stays([-1.0], evidence)


def test_nothing_measured_shows_nothing() -> None:
    assert PairedRacing().stays([], _evidence(0.0))


def test_off_scores_every_child_on_the_whole_minibatch() -> None:
    policy = NoRacing()
    assert policy.stages(_evidence(0.0), 5) == [5]
    assert policy.stays([-1.0], _evidence(0.0))


def test_unknown_racing_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="'off', 'paired'"):
        make_racing("eager")
    assert isinstance(make_racing("paired"), PairedRacing)


def test_a_difference_pairs_each_instance_with_the_parents_scores_there() -> None:
    parent = Entry(Candidate({"text": "p"}), index=0)
    parent.history = [Trial(Evaluation(0.8, instance_id="train/0"), "train/0", 1),
                      Trial(Evaluation(0.6, instance_id="train/0"), "train/0", 2),
                      Trial(Evaluation(0.2, instance_id="train/1"), "train/1", 2)]
    parent.total = 1.6
    child = [Evaluation(0.5, instance_id="train/0"), Evaluation(0.5, instance_id="train/1"),
             Evaluation(0.5, instance_id="train/9")]
    # train/0: the parent's mean there (0.7); train/9: never scored there, its overall mean
    assert paired_differences(child, parent) == pytest.approx([-0.2, 0.3, 0.5 - 1.6 / 3])


# ---- the engine ---------------------------------------------------------------------


class LevelDomain:
    """Deterministic and flat across instances (no noise): a candidate scores the number of
    ``+`` in its text over 10 on every instance, and 0 once it holds ``bad``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.texts: dict[str, str] = {}

    def seed(self) -> Candidate:
        return Candidate({"text": "start"})

    def instances(self) -> list[str]:
        return [f"i{n}" for n in range(8)]

    def describe(self) -> str:
        return "More plus signs, no bad."

    def evaluate(self, candidate: Candidate, batch: Sequence[str]) -> list[Evaluation]:
        self.calls.append((candidate.id, tuple(batch)))
        text = self.texts[candidate.id] = candidate.params["text"]
        score = 0.0 if "bad" in text else min(1.0, text.count("+") / 10)
        return [Evaluation(score, f"{text.count('+')} plus") for _ in batch]


def _better_or_bad(parent: Candidate, evaluations: Sequence[Evaluation],
                   rng: np.random.Generator) -> dict[str, str]:
    """Half the children add a ``+`` (better), half are ruined (clearly worse)."""
    tag = int(rng.integers(10**9))
    text = parent.params["text"]
    return {"text": f"{text} +{tag}" if rng.random() < 0.5 else f"{text} bad{tag}"}


def _run(racing: str, domain=None, **options):
    bus, seen = EventBus(), []
    bus.subscribe(Event, seen.append)
    domain = domain or LevelDomain()
    result = optimize(domain, ScriptedProposer(_better_or_bad), events=bus,
                      executor=SerialExecutor(), racing=racing, batch_size=4, num_pool=0,
                      **options)
    return result, domain, [e for e in seen if isinstance(e, ev.CandidateEvaluated)]


def test_racing_stops_a_worse_child_after_one_instance_with_the_same_best() -> None:
    raced, raced_domain, raced_events = _run("paired", max_iterations=8)
    full, _, full_events = _run("off", max_iterations=8)
    assert raced.best.params == full.best.params
    assert raced.best_score == full.best_score > 0
    assert raced.evaluations < full.evaluations
    children = Counter()
    for event in raced_events:
        if event.role == "child":
            children[event.candidate_id] += len(event.scores)
    ruined = {cid for cid, text in raced_domain.texts.items() if "bad" in text}
    assert ruined and {children[cid] for cid in ruined if cid in children} == {1}
    # a child at least as good as its parent gets the whole minibatch
    assert max(children.values()) == 4
    assert raced.evaluations == sum(len(e.scores) for e in raced_events)


def test_the_evaluation_budget_is_spent_exactly_under_racing() -> None:
    result, domain, events = _run("paired", max_evaluations=37)
    assert result.evaluations == sum(len(e.scores) for e in events) == len(
        [i for _, batch in domain.calls for i in batch]) <= 37
    assert result.stop_reason == "evaluations"


def test_a_batch_measured_domain_is_never_split() -> None:
    domain = MeasuredWordsDomain()
    result, _, events = _run("paired", domain=domain, max_iterations=6)
    assert {len(batch) for _, batch in domain.calls} == {4}
    assert all(len(e.scores) == 1 for e in events)
    assert result.evaluations == len(domain.calls)



def test_the_racing_key_is_checked_and_reaches_the_engine_from_the_search_config() -> None:
    with pytest.raises(ValueError, match="racing='eager' is unknown; choose one of 'paired', 'off'"):
        OptimizerConfig(racing="eager")
    assert engine_knobs(SearchConfig(racing="off"))["racing"] == "off"
