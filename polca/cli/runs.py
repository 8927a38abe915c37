"""``polca runs``: list and show the runs kept in the store.

The commands read the store and hand plain records to pure render functions
(``runs_table``, ``runs_json``, ``run_detail``, ``run_detail_json``), which build rich
renderables or JSON-ready dicts and print nothing themselves. ``runs show`` leads with what
a user asks first: the verdict, the speedup with its interval, the inputs it was verified
on, and the diff of the best candidate against the original (:func:`polca.report.run_outcome`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.json import JSON
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from polca.cli.common import DB_HELP, Quiet, Verbose, config_from_flags, console, examples, fail
from polca.cli.render_optimize import strength_detail
from polca.report import RunOutcome, run_outcome
from polca.runs import config_of, final_check_of
from polca.store import (
    CandidateRecord,
    CandidateScore,
    RunRecord,
    RunStats,
    Store,
    StoreError,
)

runs_app = typer.Typer(
    help="List and show the runs kept in the store.",
    epilog=examples("polca runs list", "polca runs show 3f2a"),
    no_args_is_help=True,
)

def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")


@dataclass(frozen=True)
class RunDetail:
    """Everything ``polca runs show`` draws about one run."""

    run: RunRecord
    stats: RunStats
    best: list[tuple[CandidateScore, CandidateRecord | None]]
    usage: Mapping[str, Any]
    outcome: RunOutcome


# ---------------------------------------------------------------------------- commands


@runs_app.command("list", epilog=examples("polca runs list", "polca runs list --db runs.db --limit 10 --json"))
def list_runs(
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many runs.")] = 50,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """List runs, newest first: status, counts, best score and LLM cost."""
    with _opened(db) as store:
        runs = store.list_runs(limit)
        stats = store.run_stats([run.id for run in runs])
    if as_json:
        typer.echo(json.dumps(runs_json(runs, stats), indent=2))
    elif not runs:
        console.print(f"No runs yet in {store.url}.", highlight=False)
    elif console.width < WIDE_TABLE_COLUMNS:
        console.print(runs_lines(runs, stats))
    else:
        console.print(runs_table(runs, stats))


@runs_app.command("show", epilog=examples(
    "polca runs show 3f2a", "polca runs show 3f2a --config", "polca runs show 3f2a --json > run.json"))
def show(
    run_id: Annotated[str, typer.Argument(help="Run id, or a unique prefix of it.")],
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print everything as JSON instead.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="How many best candidates to show.")] = 5,
    config: Annotated[bool, typer.Option("--config", help="Also show the engine's settings (last).")] = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Show one run: its verdict, speedup and diff first, then counts, best candidates, LLM usage."""
    with _opened(db) as store:
        detail = load_run_detail(store, run_id, top)
    if as_json:
        typer.echo(json.dumps(run_detail_json(detail), indent=2))
    else:
        console.print(run_detail(detail, show_config=config))


@contextmanager
def _opened(db: str | None) -> Iterator[Store]:
    """The store named by ``--db`` (or the config); store and lookup errors become one line."""
    url = config_from_flags(store={"url": db}).store.url
    try:
        with Store.open(url, create=False) as store:
            yield store
    except (StoreError, LookupError) as exc:
        fail(str(exc))


def load_run_detail(store: Store, run_id: str, top: int) -> RunDetail:
    """Read what ``polca runs show`` draws: the run (by id or prefix) and its ``top`` best."""
    run = store.get_run(run_id)
    candidates = store.candidates(run.id)
    by_id = {c.id: c for c in candidates}
    scores = store.candidate_scores(run.id)
    return RunDetail(
        run=run,
        stats=store.run_stats([run.id])[run.id],
        best=[(score, by_id.get(score.candidate_id)) for score in scores[:top]],
        usage=store.llm_usage(run.id),
        outcome=run_outcome(run, candidates, scores),
    )


# ---------------------------------------------------------------------------- rendering


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cost(value: float) -> str:
    return f"${value:.4f}" if value else "-"


def runs_table(runs: Sequence[RunRecord], stats: Mapping[str, RunStats]) -> Table:
    """One row per run: id, kind, name, status, created (UTC), counts, best score, cost."""
    table = Table(title="Runs", title_justify="left")
    table.add_column("id", no_wrap=True, style="bold")
    table.add_column("kind")
    table.add_column("name", overflow="fold")
    table.add_column("status")
    table.add_column("created (UTC)", no_wrap=True)
    for header in ("candidates", "evaluations", "best score", "cost"):
        table.add_column(header, justify="right")
    for run in runs:
        s = stats.get(run.id)
        table.add_row(
            run.id,
            Text(run.kind),
            Text(run.name),
            Text(run.status, style=_STATUS_STYLE.get(run.status, "")),
            _when(run.created_at),
            str(s.candidates) if s else "-",
            str(s.evaluations) if s else "-",
            _score(s.best_score if s else None),
            _cost(s.cost_usd if s else 0.0),
        )
    return table


WIDE_TABLE_COLUMNS = 120
"""Narrower terminals get ``runs_lines``: the table's nine columns would crush the names."""


def runs_lines(runs: Sequence[RunRecord], stats: Mapping[str, RunStats]) -> Group:
    """Two lines per run for narrow terminals: the figures, then the kind and the whole name."""
    lines = []
    for run in runs:
        s = stats.get(run.id)
        counts = f"{s.candidates} cand, {s.evaluations} evals" if s else "-"
        first = Text.assemble(
            (run.id, "bold"), "  ", (f"{run.status:<11}", _STATUS_STYLE.get(run.status, "")),
            f" {_when(run.created_at)}  {counts}  best {_score(s.best_score if s else None)}",
            f"  cost {_cost(s.cost_usd if s else 0.0)}",
        )
        lines += [first, Text.assemble("  ", (run.kind, "dim"), "  ", run.name or "-")]
    return Group(*lines)


_STATUS_STYLE = {"running": "cyan", "finished": "green", "failed": "red", "interrupted": "yellow"}


def runs_json(runs: Sequence[RunRecord], stats: Mapping[str, RunStats]) -> list[dict[str, Any]]:
    """The runs as JSON-ready dicts, with their counts, best score and cost."""
    rows = []
    for run in runs:
        s = stats.get(run.id)
        rows.append(
            {
                "id": run.id,
                "kind": run.kind,
                "name": run.name,
                "status": run.status,
                "created_at": run.created_at.isoformat(),
                "updated_at": run.updated_at.isoformat(),
                "iteration": run.iteration,
                "candidates": s.candidates if s else 0,
                "evaluations": s.evaluations if s else 0,
                "best_score": s.best_score if s else None,
                "best_candidate_id": run.best_candidate_id,
                "cost_usd": s.cost_usd if s else 0.0,
            }
        )
    return rows


def run_detail(detail: RunDetail, *, show_config: bool = False) -> RenderableType:
    """The verdict and the diff first; then the run's facts, best candidates and LLM usage;
    the engine's settings last, with ``show_config`` (else a line says how to see them)."""
    parts: list[RenderableType] = [*outcome_lines(detail.run, detail.outcome), Text(""),
                                   _facts_table(detail), _best_table(detail)]
    if show_config:
        parts += [Text("engine config", style="bold"), JSON(json.dumps(config_of(detail.run), default=str))]
    else:
        parts.append(Text("engine config: --config shows it; --json holds everything", style="dim"))
    return Group(*parts)


_VERDICT_STYLE = {"improved": "bold green", "correct": "bold green", "no_gain": "yellow",
                  "excluded": "red", "failed": "bold red", "unchecked": "dim"}


def outcome_lines(run: RunRecord, outcome: RunOutcome) -> list[RenderableType]:
    """What the run was about, its verdict in one line, and the diff of its best candidate."""
    what = f"{outcome.target} in {outcome.path}" if outcome.target else (run.name or "-")
    verdict, _, rest = outcome.headline.partition(": ")
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    head.add_row(f"{outcome.kind} run", Text.assemble((run.id, "bold"), f"  {what}"))
    head.add_row("verdict", Text.assemble((verdict, _VERDICT_STYLE.get(outcome.verdict, "")),
                                          f": {rest}" if rest else ""))
    if outcome.message and outcome.message not in outcome.headline:
        head.add_row("", Text(outcome.message, style="dim"))
    strength = _oracle_strength_row(run)
    if strength is not None:
        head.add_row("oracle", strength)
    lines: list[RenderableType] = [head]
    if outcome.diff:
        lines.append(Text(f"diff of the best candidate ({outcome.best_candidate_id}) against the original:",
                          style="bold"))
        lines.append(Syntax(outcome.diff.rstrip("\n"), "diff", theme="ansi_dark", background_color="default"))
    elif outcome.best_candidate_id:
        lines.append(Text("the best candidate is the original: nothing changed", style="dim"))
    return lines


def _oracle_strength_row(run: RunRecord) -> Text | None:
    """The stored oracle strength of a ``polca optimize`` target (None: not measured)."""
    entry = (final_check_of(run) or {}).get("oracle_strength")
    if not isinstance(entry, dict):
        return None
    label = str(entry.get("verification", ""))
    detail = strength_detail(entry.get("coverage_lines"), entry.get("coverage_branches"), entry.get("mutation_score"),
                             int(entry.get("inputs_aimed") or 0))
    return Text.assemble((label, "green" if label == "verified" else "yellow"), f" ({detail})")


def _facts_table(detail: RunDetail) -> Table:
    run, stats, usage = detail.run, detail.stats, detail.usage
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    facts = [
        ("run", run.id),
        ("kind", run.kind),
        ("name", run.name or "-"),
        ("status", run.status),
        ("created (UTC)", _when(run.created_at)),
        ("updated (UTC)", _when(run.updated_at)),
        ("last iteration", "-" if run.iteration is None else str(run.iteration)),
        ("candidates", str(stats.candidates)),
        ("evaluations", str(stats.evaluations)),
        ("best candidate", run.best_candidate_id or "-"),
        ("best score", _score(stats.best_score)),
        (
            "LLM usage",
            f"{usage['calls']} call{'' if usage['calls'] == 1 else 's'}, "
            f"{usage['prompt_tokens']} prompt + "
            f"{usage['completion_tokens']} completion tokens, {_cost(usage['cost_usd'])}",
        ),
    ]
    for name, value in facts:
        table.add_row(name, Text(value))
    return table


def _best_table(detail: RunDetail) -> RenderableType:
    if not detail.best:
        return Text("No evaluations yet.")
    table = Table(title="Best candidates by mean score", title_justify="left")
    table.add_column("id", no_wrap=True, style="bold")
    for header in ("mean score", "evals", "iter"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("origin", overflow="fold", ratio=2)
    table.add_column("parents", overflow="fold", ratio=1)
    for score, candidate in detail.best:
        table.add_row(
            score.candidate_id,
            _score(score.mean_score),
            str(score.evaluations),
            str(candidate.iteration) if candidate else "-",
            Text(candidate.origin if candidate else "-"),
            Text(", ".join(candidate.parents) if candidate else "-"),
        )
    return table


def run_detail_json(detail: RunDetail) -> dict[str, Any]:
    """The run as a JSON-ready dict: its fields, counts, best candidates and LLM usage."""
    run = detail.run
    return {
        **runs_json([run], {run.id: detail.stats})[0],
        "outcome": detail.outcome.to_dict(),
        "final_check": final_check_of(run),
        "config": config_of(run),
        "llm_usage": dict(detail.usage),
        "best_candidates": [
            {
                "id": score.candidate_id,
                "mean_score": score.mean_score,
                "evaluations": score.evaluations,
                "origin": candidate.origin if candidate else None,
                "iteration": candidate.iteration if candidate else None,
                "parents": candidate.parents if candidate else [],
            }
            for score, candidate in detail.best
        ],
    }
