"""``polca skills``: the EffiSkill library of slow-to-fast optimization skills."""

from __future__ import annotations

from pathlib import Path

import typer

from polca.cli.common import not_available

skills_app = typer.Typer(
    help="List, mine, validate and apply slow-to-fast optimization skills.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(skills_app, name="skills")


@skills_app.command("list")
def list_skills() -> None:
    """List the skills in the library."""
    not_available("skills list")


@skills_app.command("mine")
def mine(pairs: Path = typer.Argument(..., help="JSONL of slow/fast program pairs.")) -> None:
    """Grow the library from slow/fast program pairs."""
    not_available("skills mine")


@skills_app.command("apply")
def apply(path: Path = typer.Argument(..., help="The Python file to rewrite.")) -> None:
    """Diagnose a file, retrieve skills and generate faster candidates."""
    not_available("skills apply")
