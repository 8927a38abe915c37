"""``polca report``: draw a run as a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import typer

from polca.cli.common import not_available


def register(app: typer.Typer) -> None:
    app.command(
        "report",
        help="Draw a run: score against evaluations, the candidate lineage, per-target speedups.",
    )(report)


def report(
    run_id: str = typer.Argument(..., help="The run to draw (see `polca runs list`)."),
    html: Path = typer.Option(None, "--html", help="Write a self-contained HTML page here."),
) -> None:
    not_available("report")
