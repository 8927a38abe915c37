"""``polca runs``: list and show the runs kept in the store."""

from __future__ import annotations

import typer

from polca.cli.common import not_available

runs_app = typer.Typer(help="List and show the runs kept in the store.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")


@runs_app.command("list")
def list_runs() -> None:
    """List runs, newest first."""
    not_available("runs list")


@runs_app.command("show")
def show(run_id: str = typer.Argument(..., help="Run id.")) -> None:
    """Show one run: config, budget used, best candidates, LLM cost."""
    not_available("runs show")
