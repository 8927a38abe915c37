"""``polca optimize``: verified speedups of a Python file."""

from __future__ import annotations

from pathlib import Path

import typer

from polca.cli.common import not_available


def register(app: typer.Typer) -> None:
    app.command(
        "optimize",
        help=(
            "Speed up a Python file: find its hot functions, search faster versions with "
            "executable skills (offline) or any model (--model), verify them against the "
            "original's behaviour, and report measured speedups. Nothing is written "
            "without --apply."
        ),
    )(optimize)


def optimize(
    path: Path = typer.Argument(..., help="The Python file to speed up."),
    model: str = typer.Option(None, "--model", help="Any litellm model string, e.g. openai/gpt-4o-mini."),
    api_base: str = typer.Option(None, "--api-base", help="Base URL of an OpenAI-compatible server."),
    db: str = typer.Option(None, "--db", help="Store URL (default: sqlite:///.polca/polca.db)."),
) -> None:
    not_available("optimize")
