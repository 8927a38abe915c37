"""Exact scores (``Evaluation.exact``): known by definition, never charged, never re-scored."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from typer.testing import CliRunner

from polca.cli import app
from polca.optimizer.api import optimize
from polca.optimizer.budget import MAX_IDLE_ITERATIONS
from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from tests.test_optimizer_builders import MeasuredWordsDomain, add_missing_word

SEED_TEXT = "alpha beta gamma"


class RelativeWordsDomain(MeasuredWordsDomain):
    """Measured a batch at a time, as the program domain times one, and, like it, scoring
    the seed against itself by definition: its score is exact and nothing is measured, so
    ``calls`` holds only real measurements."""

    def __init__(self) -> None:
        super().__init__(seed_text=SEED_TEXT)
        self.seed_id = ""

    def seed(self) -> Candidate:
        seed = super().seed()
        self.seed_id = seed.id
        return seed

    def evaluate_batch(self, candidate: Candidate, batch: Sequence[str]) -> Evaluation:
        if candidate.params["text"] == SEED_TEXT:
            return Evaluation(0.5, "the seed itself: 0.5 by definition", exact=True)
        return super().evaluate_batch(candidate, batch)


def _copy(parent: Candidate, evaluations: Sequence[Evaluation], rng: np.random.Generator) -> dict[str, str]:
    return dict(parent.params)


def _optimize(domain, edit=add_missing_word, **options):
    return optimize(domain, ScriptedProposer(edit), executor=SerialExecutor(), batch_size=3, **options)


@pytest.mark.parametrize("num_pool", [0, 2])
def test_with_a_budget_of_n_every_evaluation_measures_a_candidate_other_than_the_seed(
        store, store_url, num_pool) -> None:
    domain = RelativeWordsDomain()
    result = _optimize(domain, max_evaluations=8, num_pool=num_pool, reevaluation="fixed", store=store)
    rows = store.evaluations(result.run_id)
    assert result.evaluations == len(domain.calls) == 8
    assert domain.seed_id not in {cid for cid, _ in domain.calls}
    # the seed's definitional score is in its history once, however often it was explored
    assert [(r.score, r.exact) for r in rows if r.candidate_id == domain.seed_id] == [(0.5, True)]
    assert sum(not r.exact for r in rows) == 8
    shown = CliRunner().invoke(app, ["runs", "show", result.run_id, "--db", store_url, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["evaluations"] == 8  # what the budget counts: real measurements


@pytest.mark.parametrize("epsilon", [None, 0.0])
def test_a_search_whose_children_are_all_copies_of_the_seed_ends(epsilon) -> None:
    domain = RelativeWordsDomain()
    result = _optimize(domain, _copy, epsilon=epsilon, num_pool=2)  # no budget at all
    assert result.stop_reason == "idle_iterations"
    assert result.iterations == MAX_IDLE_ITERATIONS
    assert domain.calls == [] and result.evaluations == 0
    assert result.best.id == domain.seed_id and result.best_score == 0.5


def test_a_search_that_measures_something_each_iteration_runs_to_its_budget() -> None:
    domain = RelativeWordsDomain()
    result = _optimize(domain, add_missing_word, max_iterations=6, num_pool=0)
    assert result.stop_reason == "iterations" and result.evaluations == len(domain.calls) > 0


def test_a_resumed_run_still_knows_the_seed_score_is_exact(store) -> None:
    first = RelativeWordsDomain()
    result = _optimize(first, max_evaluations=4, num_pool=0, reevaluation="fixed", store=store)
    again = RelativeWordsDomain()
    resumed = _optimize(again, max_evaluations=8, num_pool=0, reevaluation="fixed", store=store,
                        run_id=result.run_id, resume=True)
    rows = store.evaluations(result.run_id)
    assert resumed.evaluations == len(first.calls) + len(again.calls) == 8
    assert [r.exact for r in rows if r.candidate_id == first.seed_id] == [True]
