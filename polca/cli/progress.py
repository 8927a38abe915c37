"""Rich renderings of a POLCA run's events, for the commands that run the engine.

Pure functions over plain data: ``advance`` folds one engine event into a
``ProgressState``; ``render_progress`` draws a state, ``render_event`` gives the one-line
note worth printing for an event (or None), ``render_result`` draws the final answer.
A command subscribes ``advance`` to the run's ``EventBus`` and refreshes a
``rich.live.Live`` with ``render_progress``; totals come from the run's budgets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from polca.events import Event
from polca.optimizer import events as ev
from polca.optimizer.result import OptimizationResult

_SUMMARY_CHARS = 160


@dataclass(frozen=True)
class ProgressState:
    """What the display shows, folded from events."""

    run_id: str | None = None
    iteration: int = 0
    max_iterations: int | None = None
    evaluations: int = 0
    max_evaluations: int | None = None
    proposals: int = 0
    max_proposals: int | None = None
    new_candidates: int = 0
    rejected: int = 0
    failed: int = 0
    best_id: str | None = None
    best_score: float = math.nan
    best_num_scores: int = 0
    summary: str = ""
    stop_reason: str = ""
    finished: bool = False


def advance(state: ProgressState, event: Event) -> ProgressState:
    """The state after ``event``; events the display does not use leave it unchanged."""
    if isinstance(event, ev.RunStarted):
        return replace(state, run_id=event.run_id, iteration=event.resumed_at_iteration,
                       max_iterations=event.max_iterations, max_evaluations=event.max_evaluations,
                       max_proposals=event.max_proposals,
                       new_candidates=0 if event.resumed_at_iteration else 1)
    if isinstance(event, ev.IterationStarted):
        return replace(state, iteration=event.iteration)
    if isinstance(event, ev.CandidateEvaluated):
        added = 1 if event.role == "child" else 0
        return replace(state, evaluations=event.evaluations_used,
                       new_candidates=state.new_candidates + added)
    if isinstance(event, ev.ProposalRejected):
        return replace(state, rejected=state.rejected + 1)
    if isinstance(event, ev.ProposalFailed):
        return replace(state, failed=state.failed + 1)
    if isinstance(event, ev.NewBest):
        return replace(state, best_id=event.candidate_id, best_score=event.mean_score,
                       best_num_scores=event.num_scores)
    if isinstance(event, ev.SummaryUpdated):
        return replace(state, summary=event.summary)
    if isinstance(event, ev.BudgetExhausted):
        return replace(state, stop_reason=event.reason)
    if isinstance(event, ev.RunFinished):
        return replace(state, finished=True, evaluations=event.evaluations,
                       proposals=event.proposals, best_id=event.best_id,
                       best_score=event.best_score)
    return state


def fold(events: Iterable[Event], state: ProgressState | None = None) -> ProgressState:
    """The state after every event in ``events``, in order."""
    state = state or ProgressState()
    for event in events:
        state = advance(state, event)
    return state


def render_progress(state: ProgressState) -> RenderableType:
    """A compact panel: budget bars, the best so far, ε-net and proposer counts, the summary."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    for label, done, total in (
        ("iterations", state.iteration, state.max_iterations),
        ("evaluations", state.evaluations, state.max_evaluations),
    ):
        table.add_row(label, _bar(done, total))
    best = "-" if state.best_id is None else (
        f"{_score(state.best_score)}  ({state.best_id}, {state.best_num_scores} scores)")
    table.add_row("best", best)
    table.add_row("candidates", f"{state.new_candidates} new, {state.rejected} dropped by the "
                                f"ε-net, {state.failed} failed proposals")
    if state.summary:
        table.add_row("summary", Text(_shorten(state.summary, _SUMMARY_CHARS), style="italic"))
    if state.stop_reason:
        table.add_row("stopped", f"budget reached: {state.stop_reason}")
    return table


def render_event(event: Event) -> RenderableType | None:
    """A one-line note for events worth a line in the log; None for the rest."""
    if isinstance(event, ev.NewBest):
        return Text.from_markup(
            f"[green]new best[/] {event.candidate_id}: {_score(event.mean_score)} "
            f"over {event.num_scores} scores (iteration {event.iteration})")
    if isinstance(event, ev.SummaryUpdated):
        return Text(f"summary updated: {_shorten(event.summary, _SUMMARY_CHARS)}", style="italic")
    if isinstance(event, ev.ProposalFailed):
        return Text.from_markup(f"[yellow]proposal failed[/] for {event.parent_id}: ") + Text(
            event.reason)
    if isinstance(event, ev.BudgetExhausted):
        return Text(f"stopping after iteration {event.iteration}: {event.reason} budget reached")
    return None


def render_result(result: OptimizationResult) -> RenderableType:
    """The final answer: best score with its 95% interval, and what the run spent."""
    table = Table(title="POLCA result", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    interval = ("n/a" if math.isnan(result.ci_low)
                else f"[{_score(result.ci_low)}, {_score(result.ci_high)}]")
    table.add_row("best", f"{result.best.id} ({result.best.origin})")
    table.add_row("score", f"{_score(result.best_score)}  95% CI {interval}  "
                           f"over {result.num_final_scores or result.history_num_scores} scores")
    table.add_row("spent", f"{result.iterations} iterations, {result.evaluations} evaluations, "
                           f"{result.proposals} proposals, ${result.cost_usd:.4f}, "
                           f"{result.wall_s:.1f} s")
    table.add_row("stopped", result.stop_reason)
    if result.run_id:
        table.add_row("run", result.run_id)
    return Group(table)


def _bar(done: int, total: int | None) -> RenderableType:
    if total is None:
        return Text(str(done))
    grid = Table.grid(padding=(0, 1))
    grid.add_row(ProgressBar(total=total, completed=min(done, total), width=30), f"{done}/{total}")
    return grid


def _score(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4g}"


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
