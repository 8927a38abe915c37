"""What every subcommand shares: consoles, one-line errors, config from flags."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from polca.config import Config, ConfigError, load_config

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear error line and exit with ``code``; no traceback."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def not_available(command: str) -> NoReturn:
    fail(f"`polca {command}` is not available yet in this version of polca.", code=2)


def config_from_flags(**areas: dict[str, Any]) -> Config:
    """Load the config with CLI flags on top; a bad value or key is a one-line error."""
    try:
        return load_config({area: values for area, values in areas.items() if values})
    except ConfigError as exc:
        fail(f"configuration: {exc}")


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )
