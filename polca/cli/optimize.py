"""``polca optimize``: verified speedups of a Python file, offline by default.

The command turns flags into :class:`~polca.optimizer.domains.program.ProgramOptions` (a
flag's default comes from ``[tool.polca.optimize]``, ``[tool.polca.search]`` and
``[tool.polca.sandbox]`` in pyproject.toml or ``POLCA_*``), plans the file (targets,
inputs, oracle: everything that can refuse it) before the store is opened, so a refused
file leaves nothing behind, then builds the proposers (executable skills always; the
LLM proposer with ``--model``), searches with a live progress display, and prints the
per-target table and the diff (or JSON). The file is written only with ``--apply``
(after a ``.orig`` backup, when the file is unchanged since the run began and its tests
still pass) or ``--out PATH``. Exit status: 0 when it ran (with or without a speedup), 1
for bad input or a refused write.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live

from polca.cli.common import (
    DB_HELP,
    Quiet,
    Verbose,
    config_from_flags,
    console,
    err_console,
    examples,
    fail,
    open_store,
    recording_llm,
    warn,
)
from polca.cli.progress import ProgressState, advance, render_progress
from polca.cli.render_optimize import (
    render_diff,
    render_outcome,
    render_target_event,
    render_targets,
    report_json,
)
from polca.config import Config, EmbedderName, OptimizeConfig, SandboxBackend, SearchConfig
from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.contracts import Proposer
from polca.optimizer.domains.program import (
    FallbackSummarizer,
    FilePlan,
    ProgramOptions,
    ProgramReport,
    PytestMissing,
    TargetFinished,
    TargetStarted,
    default_program_proposer,
    default_program_summarizer,
    optimize_plan,
    plan_for,
)
from polca.optimizer.domains.program.oracle import discover_tests, run_tests_against
from polca.optimizer.domains.program.targets import ProgramFile, load_program
from polca.parsing import parse_python

if TYPE_CHECKING:
    from polca.store import Store

_D = OptimizeConfig()
_S = SearchConfig()
EPILOG = (
    examples("polca optimize examples/dedup_ids.py",
             "polca optimize tool.py --stdin input.txt --model openai/gpt-4o-mini --apply",
             "generate-input | polca optimize tool.py --stdin -")
    # "\\[" keeps rich from reading a table name as markup
    + "\n\nEach flag's default can be set in \\[tool.polca.optimize] of pyproject.toml or as "
    "POLCA_OPTIMIZE_<FLAG>; the engine's knobs in \\[tool.polca.search], the sandbox's image and "
    "limits in \\[tool.polca.sandbox]."
)


def register(app: typer.Typer) -> None:
    app.command(
        "optimize",
        help=(
            "Speed up a Python file: find its hot functions, search faster versions with "
            "executable skills (offline) or any model (--model), verify them against the "
            "original's behaviour, and report measured speedups. Nothing is written "
            "without --apply."
        ),
        epilog=EPILOG,
    )(optimize)


def optimize(
    path: Annotated[Path, typer.Argument(help="The Python file to speed up.")],
    function: Annotated[list[str] | None, typer.Option("--function", "-f", help="Only this function (repeatable; methods as Class.method).")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help=f"Optimize the N hottest functions (default {_D.top}).")] = None,
    tests: Annotated[Path | None, typer.Option("--tests", help="A pytest file whose calls become inputs (default: test_*.py files that import the file).")] = None,
    stdin: Annotated[list[Path] | None, typer.Option("--stdin", help="A stdin file for the script (repeatable: one run each); - reads polca's own stdin.")] = None,
    args: Annotated[str, typer.Option("--args", help="Command-line arguments for the script, as one string.")] = "",
    size: Annotated[int | None, typer.Option("--size", min=1, help="Elements per generated call, in total, for the search's inputs (default: grown per target until one call takes 20-200 ms).")] = None,
    budget_evals: Annotated[int | None, typer.Option("--budget-evals", min=1, help=f"Evaluations per target: one candidate timed on one minibatch each (default {_D.budget_evals}).")] = None,
    budget_cost: Annotated[float | None, typer.Option("--budget-cost", help="Most USD to spend on model calls for the whole file, shared by its targets (default: no limit).")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Wall-clock seconds for the whole file (default: no limit).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Any litellm model string, e.g. openai/gpt-4o-mini (default: none, skills only).")] = None,
    api_base: Annotated[str | None, typer.Option("--api-base", help="Base URL of an OpenAI-compatible server.")] = None,
    no_fallback: Annotated[bool, typer.Option("--no-fallback", help="Fail instead of continuing with skills when the model is unreachable.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Write the verified change into the file (keeps FILE.orig).")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the optimized file here instead.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue the stored run RUN (one target) with --budget-evals more.")] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    sandbox: Annotated[SandboxBackend | None, typer.Option("--sandbox", help="Where candidates run (default auto; none is unsafe).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help=f"Seed of minibatches and generated inputs (default {_D.seed}).")] = None,
    embedder: Annotated[EmbedderName | None, typer.Option("--embedder", help=f"What the ε-net compares candidates by (default {_S.embedder}).")] = None,
    epsilon: Annotated[float | None, typer.Option("--epsilon", min=0.0, max=2.0, help="ε-net radius: children this close to a known candidate are dropped (default: the embedder's calibrated one).")] = None,
    min_coverage: Annotated[float | None, typer.Option("--min-coverage", min=0.0, max=1.0, help="Offer a change only when its oracle's inputs run at least this fraction of the function's lines (default 0: label only).")] = None,
    min_mutation_score: Annotated[float | None, typer.Option("--min-mutation-score", min=0.0, max=1.0, help="Offer a change only when its oracle catches at least this fraction of injected bugs (default 0: label only).")] = None,
    max_mutants: Annotated[int | None, typer.Option("--max-mutants", min=0, help=f"Injected bugs checked per improvement for its oracle's mutation score (default {_D.max_mutants}; 0: none).")] = None,
    library: Annotated[list[Path] | None, typer.Option("--library", help="Extra skill folder(s) beside the built-in library and .polca/skills (repeatable).")] = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Speed up PATH and show verified results."""
    config = config_from_flags(
        llm={"model": model, "api_base": api_base}, store={"url": db}, sandbox={"backend": sandbox},
        search={"embedder": embedder, "epsilon": epsilon},
        optimize={"top": top, "size": size, "budget_evals": budget_evals, "budget_cost": budget_cost,
                  "time_limit": time_limit, "seed": seed, "fallback": False if no_fallback else None,
                  "min_coverage": min_coverage, "min_mutation_score": min_mutation_score,
                  "max_mutants": max_mutants,
                  "library": tuple(map(str, library)) if library else None})
    _check_out(apply, out)
    _check_model(config)
    program = _load(path)
    with _stdin_files(stdin) as stdin_files:
        options = _options(config, function=tuple(function or ()), tests=tests, stdin=stdin_files,
                           args=tuple(shlex.split(args)))
        _warn_before(path, program, options)
        report = _search(path, options, config, resume, quiet=as_json)
    for note in report.notes:
        warn(note)
    written, refused = _write(report, program.source, apply, out, options)
    if as_json:
        typer.echo(json.dumps(report_json(report, applied_to=written), indent=2))
    else:
        console.print(render_targets(report))
        console.print(render_diff(report))
        console.print(render_outcome(report, applied_to=written))
    if refused:
        fail(refused)


def _options(config: Config, **given) -> ProgramOptions:
    try:
        return ProgramOptions.from_config(config, **given)
    except ValueError as exc:
        fail(f"{exc} (the defaults are read from [tool.polca.optimize], [tool.polca.search], "
             "[tool.polca.sandbox] and POLCA_* variables)")


def _check_out(apply: bool, out: Path | None) -> None:
    if apply and out is not None:
        fail("--apply and --out both say where to write; give one of them.")
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        fail(f"--out {out} must be a file in an existing folder; create the folder or pick another path.")


def _check_model(config: Config) -> None:
    """A model string that cannot work is refused before any work starts."""
    if not config.llm.model:
        return
    from polca.llm import LLMClient

    try:
        LLMClient(config.llm)
    except ValueError as exc:
        fail(f"{exc} (set it with --model, POLCA_MODEL or [tool.polca.llm] model)")


@contextmanager
def _stdin_files(stdin: list[Path] | None) -> Iterator[tuple[Path, ...]]:
    """The ``--stdin`` files; ``-`` is polca's own stdin, read once into a temporary file
    outside the working folder (removed afterwards)."""
    paths = list(stdin or ())
    dashes = sum(str(p) == "-" for p in paths)
    if dashes > 1:
        fail("--stdin - is given more than once; polca's own stdin can be read once.")
    if not dashes:
        yield tuple(paths)
        return
    with tempfile.TemporaryDirectory(prefix="polca-stdin-") as folder:
        copy = Path(folder) / "stdin.txt"
        copy.write_bytes(sys.stdin.buffer.read())
        yield tuple(copy if str(p) == "-" else p for p in paths)


def _warn_before(path: Path, program: ProgramFile, options: ProgramOptions) -> None:
    if not options.stdin and _reads_stdin(program.source):
        warn(f"{path} reads stdin but no --stdin was given, so it runs on empty input with little to time; "
             "pass --stdin FILE with a typical input.")
    if options.sandbox.backend == "none":
        warn("--sandbox none runs candidate code without any isolation: use it only for code you trust.")


def _reads_stdin(source: str) -> bool:
    """Whether the code reads its standard input: ``sys.stdin``, ``input()`` or ``fileinput``."""
    for node in ast.walk(parse_python(source)):
        if isinstance(node, ast.Attribute) and node.attr == "stdin":
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "input":
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and "fileinput" in ast.unparse(node):
            return True
    return False


def _load(path: Path) -> ProgramFile:
    try:
        return load_program(path)
    except ValueError as exc:
        fail(str(exc))


def _search(path: Path, options: ProgramOptions, config: Config, resume: str | None, *,
            quiet: bool) -> ProgramReport:
    """Plan, then search. The store is opened only once the plan stands (a resume reads the
    store first, to learn its target), so a refused file writes no ``.polca/``."""
    skills = _skills(options)
    with ExitStack() as stack:
        store = stack.enter_context(_existing_store(config)) if resume is not None else None
        plan = _plan(path, options, store, resume, quiet=quiet)
        if store is None:
            store = stack.enter_context(open_store(config))
        events = EventBus()
        llm = recording_llm(config, store, events) if config.llm.model else None
        fallback = config.optimize.fallback
        proposer = default_program_proposer(llm, fallback=fallback, library=skills)
        summarizer = default_program_summarizer(llm, fallback=fallback)
        return _run(plan, proposer, summarizer, llm, store, events, resume, quiet=quiet)


def _skills(options: ProgramOptions):
    """The skill library the search uses, as ``polca skills`` reads it (built-in,
    ``.polca/skills``, then ``--library``/``[tool.polca.optimize] library``); a mined skill
    that does not validate is left out with one line saying why."""
    from polca.skills.model import SkillFormatError
    from polca.skills.registry import library_dirs, load_checked

    try:
        loaded = load_checked(library_dirs(options.library))
    except SkillFormatError as exc:
        fail("the built-in skill library does not validate:\n  " + "\n  ".join(exc.errors))
    except ValueError as exc:
        fail(f"{exc} (--library or [tool.polca.optimize] library)")
    for line in loaded.rejected:
        warn(line)
    return loaded.registry


@contextmanager
def _existing_store(config: Config) -> Iterator[Store]:
    """The store a resumed run is in; one that does not exist is an error, not created."""
    from polca.store import Store, StoreError

    try:
        store = Store.open(config.store.url, create=False)
    except (StoreError, ValueError) as exc:
        fail(f"{exc} (--resume reads the store set by --db, POLCA_DB or [tool.polca.store] url)")
    try:
        yield store
    finally:
        store.close()


def _plan(path: Path, options: ProgramOptions, store, resume: str | None, *, quiet: bool) -> FilePlan:
    status = nullcontext() if quiet else err_console.status("finding targets and checking their inputs")
    try:
        with status:
            return plan_for(path, options, store=store, resume_run=resume)
    except (ValueError, LookupError) as exc:
        fail(str(exc))


def _run(plan: FilePlan, proposer: Proposer, summarizer: FallbackSummarizer | None, llm, store,
         events: EventBus, resume: str | None, *, quiet: bool) -> ProgramReport:
    from polca.llm import LLMUnavailable

    state = {"progress": ProgressState()}
    live = Live(render_progress(state["progress"]), console=err_console, transient=True,
                auto_refresh=False) if not quiet else None

    def on_event(event: Event) -> None:
        if isinstance(event, ev.RunStarted):
            state["progress"] = ProgressState()
        state["progress"] = advance(state["progress"], event)
        if live is None:
            return
        if isinstance(event, TargetStarted | TargetFinished):
            live.console.print(render_target_event(event))
        live.update(render_progress(state["progress"]), refresh=True)

    events.subscribe(Event, on_event)
    try:
        if live is not None:
            live.start()
        return optimize_plan(plan, proposer=proposer, llm=llm, store=store, events=events,
                             summarizer=summarizer, resume_run=resume)
    except (ValueError, LookupError) as exc:
        fail(str(exc))
    except LLMUnavailable as exc:
        fail(f"{exc} (--no-fallback was given, so polca does not continue with skills alone)")
    finally:
        if live is not None:
            live.stop()


# ---------------------------------------------------------------- writing the change


def _write(report: ProgramReport, source_at_start: str, apply: bool, out: Path | None,
           options: ProgramOptions) -> tuple[str | None, str | None]:
    """Write the change where asked: ``(path written, None)``, or ``(None, why not)`` in one
    line when the write is refused or fails (the caller still shows the diff, then exits 1).
    Every file is written atomically (a temporary file in the same folder, then
    ``os.replace``), so a failure leaves neither a half-written file nor a stray temp file."""
    if not report.improved or not (apply or out):
        return None, None
    try:
        if out is not None:
            _atomic_write(out.resolve(), report.optimized_source.encode("utf-8"))
            return str(out), None
        return _apply(report, source_at_start, options), None
    except _Refused as exc:
        return None, str(exc)
    except OSError as exc:
        where = out if out is not None else Path(report.path)
        return None, f"could not write {where}: {exc.strerror or exc}; nothing was written."


class _Refused(Exception):
    """A write polca declines to make (the file changed, the tests fail), in one line."""


def _apply(report: ProgramReport, source_at_start: str, options: ProgramOptions) -> str:
    """Write the change into the file itself, after a backup with the file's mode; the
    backup is removed again when the file cannot be written."""
    path = Path(report.path).resolve()  # through a symlink: the file it points to is changed, the link stays
    current = path.read_bytes()
    if _as_read(current) != source_at_start:
        raise _Refused(f"{path} changed while polca ran; nothing was written. "
                       "Re-run polca optimize on the new version.")
    program = load_program(path)
    tests = [options.tests] if options.tests else discover_tests(program)
    try:
        passed, summary = run_tests_against(program, report.optimized_source, tests, sandbox=options.sandbox,
                                            how="given" if options.tests else "found")
    except PytestMissing as exc:
        raise _Refused(f"{exc}; nothing was written (--apply runs the tests against the change first).") from None
    if not passed:
        raise _Refused(f"the tests fail with the optimized file ({summary}); nothing was written.")
    mode = stat.S_IMODE(path.stat().st_mode)
    backup = _free_backup_path(path)
    _atomic_write(backup, current, mode)
    newline = "\r\n" if b"\r\n" in current else "\n"  # the file keeps its line endings
    try:
        _atomic_write(path, report.optimized_source.replace("\n", newline).encode("utf-8"), mode)
    except OSError:
        backup.unlink(missing_ok=True)
        raise
    return str(path)


def _as_read(data: bytes) -> str:
    """The text polca read from these bytes (universal newlines, as ``Path.read_text``)."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def _atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """``data`` into ``path`` through a temporary file beside it and ``os.replace``; the file
    gets ``mode`` (default: the existing file's, else 0o666 less the umask). Raises OSError,
    leaving no temporary file behind."""
    if mode is None:
        mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o666 & ~_umask()
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".polca-tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _free_backup_path(path: Path) -> Path:
    """``FILE.orig``, or ``FILE.orig.N`` when earlier backups exist: a second --apply must not
    overwrite the backup of the true original with the once-optimized file."""
    backup = path.with_name(path.name + ".orig")
    number = 0
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.orig.{number}")
    return backup
