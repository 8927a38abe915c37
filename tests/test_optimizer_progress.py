"""The CLI's progress renderings over a recorded event list, and the executors."""

from __future__ import annotations

import importlib.util
import math

import pytest
from rich.console import Console

from polca.cli.progress import ProgressState, fold, render_event, render_progress, render_result
from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.api import optimize
from polca.optimizer.executor import (
    ProcessExecutor,
    RayExecutor,
    SerialExecutor,
    ThreadExecutor,
    make_executor,
)
from polca.optimizer.proposers import ScriptedProposer
from tests.test_optimizer_builders import PlainWordsDomain, WordsDomain, add_missing_word

RECORDED: list[Event] = [
    ev.RunStarted("run1", "seed0", 0, 100, 5, None),
    ev.IterationStarted(1, ("seed0",), ("train/0", "train/1")),
    ev.CandidateEvaluated(1, "seed0", "explorer", ("train/0", "train/1"), (0.0, 1.0), 0.5, 2, 2),
    ev.ProposalRejected(1, "seed0", "dup1", 0.01, 0.05),
    ev.ProposalFailed(1, "seed0", "malformed answer twice: no <param> block found"),
    ev.CandidateEvaluated(1, "kid1", "child", ("train/0", "train/1"), (1.0, 1.0), 1.0, 2, 4),
    ev.NewBest(1, "kid1", 1.0, 2),
    ev.SummaryUpdated(1, "Name every word.", "saw two trials", ("seed0", "kid1")),
    ev.BudgetExhausted(1, "target_score"),
]


def _text(renderable) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_folding_a_recorded_run_counts_what_happened() -> None:
    state = fold(RECORDED)
    assert (state.iteration, state.evaluations, state.new_candidates) == (1, 4, 2)
    assert (state.rejected, state.failed, state.best_id) == (1, 1, "kid1")
    assert state.summary == "Name every word." and state.stop_reason == "target_score"


def test_progress_shows_budget_totals_best_and_summary() -> None:
    text = _text(render_progress(fold(RECORDED)))
    assert "1/5" in text and "4/100" in text
    assert "kid1" in text and "1 dropped by the ε-net" in text and "1 failed" in text
    assert "Name every word." in text and "target_score" in text


def test_an_empty_run_renders_without_a_best() -> None:
    text = _text(render_progress(ProgressState()))
    assert "best" in text and "-" in text


def test_only_notable_events_get_a_line() -> None:
    lines = [_text(r) for e in RECORDED if (r := render_event(e)) is not None]
    assert len(lines) == 4
    assert "new best kid1: 1 over 2 scores" in lines[1]


def test_result_table_shows_the_interval_and_the_spend() -> None:
    result = optimize(WordsDomain(), ScriptedProposer(add_missing_word), max_iterations=2,
                      executor=SerialExecutor())
    text = _text(render_result(result))
    assert "95% CI" in text and "evaluations" in text and result.best.id in text


def test_progress_follows_a_live_run() -> None:
    bus, seen = EventBus(), []
    bus.subscribe(Event, seen.append)
    optimize(WordsDomain(), ScriptedProposer(add_missing_word), events=bus, max_iterations=3,
             executor=SerialExecutor())
    state = fold(seen)
    assert state.finished and state.iteration == 3 and not math.isnan(state.best_score)


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("executor", [SerialExecutor(), ThreadExecutor(2), ProcessExecutor(2)])
def test_executors_keep_input_order(executor) -> None:
    assert executor.map(_square, range(6)) == [0, 1, 4, 9, 16, 25]


def test_a_search_over_a_process_pool_matches_the_serial_one() -> None:
    runs = [optimize(PlainWordsDomain(), ScriptedProposer(add_missing_word), max_iterations=3,
                     executor=executor, batch_size=3) for executor in (SerialExecutor(), ProcessExecutor(2))]
    assert runs[0].best.params == runs[1].best.params
    assert runs[0].best_score == runs[1].best_score


def test_unknown_executor_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="'process', 'ray', 'serial', 'thread'"):
        make_executor("dask")


@pytest.mark.skipif(importlib.util.find_spec("ray") is not None, reason="ray is installed")
def test_ray_executor_without_ray_names_the_extra() -> None:
    with pytest.raises(ImportError, match=r"polca\[cluster\]"):
        RayExecutor()
