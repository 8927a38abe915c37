"""What every subcommand shares: consoles, one-line errors, config from flags."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from polca.config import Config, ConfigError, find_pyproject, load_config
from polca.events import EventBus

if TYPE_CHECKING:
    from polca.llm import LLMClient
    from polca.store import Store

DB_HELP = "Store: a SQLAlchemy URL or a SQLite path (default: POLCA_DB, then .polca/polca.db)."

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
        pyproject = find_pyproject()
        sources = f"[tool.polca] in {pyproject}, " if pyproject else ""
        fail(f"configuration: {exc} (settings are read from {sources}POLCA_* variables and the flags)")


class OncePerMessage(logging.Filter):
    """Lets each warning through once per message template, so a fault that recurs every
    iteration (an unreachable summarizer model) is one line, not one per iteration."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, object]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        key = (record.name, record.msg)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def setup_logging(verbose: int) -> None:
    """Warnings by default (each template once), -v info, -vv debug with every repeat."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = RichHandler(console=err_console, show_path=False, show_time=False)
    if verbose == 0:
        handler.addFilter(OncePerMessage())
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)


def raise_verbosity(verbose: int) -> None:
    """A subcommand's own ``-v``: raises the root's logging level, never lowers it, so
    ``polca -v train sft`` stays as verbose as ``polca train sft -v``."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    if level < logging.getLogger().getEffectiveLevel():
        setup_logging(verbose)


@contextmanager
def open_store(config: Config) -> Iterator[Store]:
    """The store the config names, closed afterwards; a bad URL is a one-line error."""
    from polca.store import Store, StoreError

    try:
        store = Store.open(config.store.url)
    except (StoreError, ValueError) as exc:
        reason = str(exc) if str(exc).startswith("cannot open") else f"cannot open the store {config.store.url}: {exc}"
        fail(f"{reason} (the store is set by --db, POLCA_DB or [tool.polca.store] url)")
    try:
        yield store
    finally:
        store.close()


def recording_llm(config: Config, store: Store, events: EventBus) -> LLMClient:
    """An LLM client whose calls are recorded in ``store`` under the run being searched.

    The run id is learnt from the engine's ``RunStarted`` event, so calls made for each
    target or problem land under that target's run.
    """
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from polca.llm import LLMClient
    from polca.optimizer.events import RunStarted

    current: dict[str, str | None] = {"run": None}

    def on_started(event: RunStarted) -> None:
        current["run"] = event.run_id

    events.subscribe(RunStarted, on_started)
    try:
        return LLMClient(
            config.llm, on_call=lambda c: store.record_llm_call(current["run"], **dataclasses.asdict(c))
        )
    except ValueError as exc:
        fail(f"{exc} (set it with --model, POLCA_MODEL or [tool.polca.llm] model)")
