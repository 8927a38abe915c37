"""``polca run``: run a file in the sandbox and show what happened."""

from __future__ import annotations

from pathlib import Path

import typer

from polca.cli.common import not_available


def register(app: typer.Typer) -> None:
    app.command("run", help="Run a Python file in the sandbox and report status, output and resources.")(run)


def run(path: Path = typer.Argument(..., help="The Python file to run.")) -> None:
    not_available("run")
