"""The ``polca`` command: the only room that talks to the terminal.

Each subcommand lives in its own module and registers itself on ``app``; this module
only assembles them.
"""

from __future__ import annotations

import typer

from polca import __version__
from polca.cli import kernelbench, optimize, prompts, report, run, runs, skills, train
from polca.cli.common import Quiet, Verbose, examples, use_polca_help

app = typer.Typer(
    name="polca",
    help="Make code and prompts better with a language model in the loop, and keep what it learns.",
    epilog=examples(
        "polca optimize examples/dedup_ids.py",
        "polca runs list",
        "polca -v skills mine pairs.jsonl --out mined/",
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"polca {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    pass  # -v/-q given here hold for the subcommand too: their callback applies them


for module in (optimize, prompts, run, kernelbench, skills, train, runs, report):
    module.register(app)
use_polca_help(app)


def main() -> None:
    app()
