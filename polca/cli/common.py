"""What every subcommand shares: consoles, one-line errors, config from flags."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.models import DefaultPlaceholder

from polca.config import Config, ConfigError, find_pyproject, load_config
from polca.events import EventBus

if TYPE_CHECKING:
    from polca.llm import LLMClient
    from polca.store import Store

DB_HELP = "Store: a SQLAlchemy URL or a SQLite path (default: POLCA_DB, then .polca/polca.db)."

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear error line (``-q`` too) and exit with ``code``; no traceback."""
    with _loud(err_console):
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """One warning line on stderr (silenced by ``-q``)."""
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


# ---------------------------------------------------------------- -v / -q

@contextmanager
def _loud(target: Console) -> Iterator[None]:
    """``target`` unsilenced for one print: ``-q`` hides progress and warnings, never errors."""
    quiet, target.quiet = target.quiet, False
    try:
        yield
    finally:
        target.quiet = quiet


class _ErrorsAlwaysHandler(RichHandler):
    """Log records on ``err_console`` even while ``-q`` silences it (only errors pass ``-q``'s level)."""

    def emit(self, record: logging.LogRecord) -> None:
        with _loud(self.console):
            super().emit(record)


def apply_verbosity(verbose: int, quiet: bool) -> None:
    """Set what reaches stderr: ``quiet`` errors only (progress, notes and warnings are
    silenced); else warnings (each message template once), ``verbose`` 1 adds info logs,
    2 or more debug logs with every repeat. Results on stdout are never affected."""
    if verbose and quiet:
        fail("-v and -q contradict each other; give one of them.")
    if quiet:
        level = logging.ERROR
    else:
        level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = _ErrorsAlwaysHandler(console=err_console, show_path=False, show_time=False)
    if verbose == 0:
        handler.addFilter(OncePerMessage())
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    err_console.quiet = quiet


_VERBOSITY_KEY = "polca.verbosity"  # in ctx.meta, which one invocation's contexts share


def _verbosity_given(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """Combine this ``-v``/``-q`` with the ones already given in this invocation (``polca -v
    train sft`` is as verbose as ``polca train sft -v``: the most ``-v`` wins, any ``-q``
    counts), and apply the result at once, before the command runs."""
    state = ctx.meta.get(_VERBOSITY_KEY)
    if state is None:
        state = ctx.meta[_VERBOSITY_KEY] = {"verbose": 0, "quiet": False}
        ctx.find_root().call_on_close(lambda: setattr(err_console, "quiet", False))
    if param.name == "quiet":
        state["quiet"] = state["quiet"] or bool(value)
    else:
        state["verbose"] = max(state["verbose"], int(value or 0))
    apply_verbosity(state["verbose"], state["quiet"])
    return value


# Every command declares both (a test walks the app for them); declaring them is all a
# command does: their callback applies the verbosity while the flags are parsed.
Verbose = Annotated[int, typer.Option(
    "--verbose", "-v", count=True, show_default=False, callback=_verbosity_given,
    help="More log output on stderr: -v info, -vv debug.")]
Quiet = Annotated[bool, typer.Option(
    "--quiet", "-q", callback=_verbosity_given,
    help="Errors only on stderr: no progress, notes or warnings (results still print).")]


# ---------------------------------------------------------------- help


def examples(*lines: str) -> str:
    """A command's help epilog: ``Examples:`` and one command line per line."""
    return "Examples:\n\n" + "\n\n".join(f"  {escape(line)}" for line in lines)


def _no_value_placeholder(param: Any) -> None:
    """A flag or a counter takes no value, so its help shows no type: typer's rich help
    prints one (``<bool>``, ``<int>``) for every option that has no metavar."""
    if isinstance(param, TyperOption) and (param.is_flag or param.count) and param.metavar is None:
        param.metavar = ""


class _NoFlagPlaceholders:
    """Help that shows no ``<bool>`` beside flags (``--help`` included), for a command or a group."""

    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _no_value_placeholder(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        _no_value_placeholder(option)
        return option


class PolcaCommand(_NoFlagPlaceholders, TyperCommand):
    """A command whose help shows no ``<bool>`` beside its flags."""


class PolcaGroup(_NoFlagPlaceholders, TyperGroup):
    """A command group whose help shows no ``<bool>`` beside its flags."""


def use_polca_help(app: typer.Typer) -> None:
    """Build ``app`` and every command and group registered under it with :class:`PolcaCommand`
    and :class:`PolcaGroup`, unless one names a class of its own."""
    if app.info.cls in (None, TyperGroup) or isinstance(app.info.cls, DefaultPlaceholder):
        app.info.cls = PolcaGroup
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):  # typer fills in TyperCommand for "none given"
            command.cls = PolcaCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            use_polca_help(group.typer_instance)


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
