"""``polca optimize``: verified speedups of a Python file, offline by default.

The command turns flags into :class:`ProgramOptions`, builds the proposers (executable
skills always; the LLM proposer with ``--model``), opens the store, runs
:func:`~polca.optimizer.domains.program_run.optimize_file` with a live progress display,
and prints the per-target table and the diff (or JSON). The file is written only with
``--apply`` (after a ``.orig`` backup, when the file is unchanged since the run began and
its tests still pass) or ``--output PATH``. Exit status: 0 when it ran (with or without a
speedup), 1 for bad input or a refused write.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shlex
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live

from polca.cli.common import (
    DB_HELP,
    Quiet,
    Verbose,
    config_from_flags,
    console,
    err_console,
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
from polca.config import Config
from polca.events import Event, EventBus
from polca.optimizer import events as ev
from polca.optimizer.contracts import Proposer
from polca.optimizer.domains.program import EvalSettings
from polca.optimizer.domains.program_oracle import discover_tests, run_tests_against
from polca.optimizer.domains.program_proposers import (
    FallbackSummarizer,
    default_program_proposer,
    default_program_summarizer,
)
from polca.optimizer.domains.program_run import (
    ProgramOptions,
    ProgramReport,
    TargetFinished,
    TargetStarted,
    optimize_file,
)
from polca.optimizer.domains.program_targets import load_program


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
    path: Annotated[Path, typer.Argument(help="The Python file to speed up.")],
    function: Annotated[list[str] | None, typer.Option("--function", "-f", help="Only this function (repeatable; methods as Class.method).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Optimize the N hottest functions.")] = 3,
    tests: Annotated[Path | None, typer.Option("--tests", help="A pytest file whose calls become inputs.")] = None,
    stdin: Annotated[list[Path] | None, typer.Option("--stdin", help="A stdin file for the script (repeatable: one run each).")] = None,
    args: Annotated[str, typer.Option("--args", help="Command-line arguments for the script, as one string.")] = "",
    size: Annotated[int, typer.Option("--size", min=1, help="Elements per generated input container (timing scale).")] = 1000,
    budget_evals: Annotated[int, typer.Option("--budget-evals", min=1, help="Instance evaluations per target.")] = 40,
    budget_cost: Annotated[float | None, typer.Option("--budget-cost", help="Most USD to spend on model calls.")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Wall-clock seconds for the whole run.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Any litellm model string, e.g. openai/gpt-4o-mini.")] = None,
    api_base: Annotated[str | None, typer.Option("--api-base", help="Base URL of an OpenAI-compatible server.")] = None,
    no_fallback: Annotated[bool, typer.Option("--no-fallback", help="Fail instead of continuing with skills when the model is unreachable.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Write the verified change into the file (keeps FILE.orig).")] = False,
    output: Annotated[Path | None, typer.Option("--output", help="Write the optimized file here instead.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue the stored run RUN (one target).")] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    sandbox: Annotated[str | None, typer.Option("--sandbox", help="Sandbox backend: auto, local, docker, none.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of minibatches and generated inputs.")] = 0,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Speed up PATH and show verified results."""
    config = config_from_flags(llm={"model": model, "api_base": api_base}, store={"url": db},
                               sandbox={"backend": sandbox})
    options = _options(function, top, tests, stdin, args, size, budget_evals, budget_cost, time_limit, seed, config)
    if apply and output is not None:
        fail("--apply and --output both say where to write; give one of them.")
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        fail(f"--output {output} must be a file in an existing folder; create the folder or pick another path.")
    program = _load(path)
    if not stdin and _reads_stdin(program.source):
        warn(f"{path} reads stdin but no --stdin was given, so it runs on empty input with little to time; "
             "pass --stdin FILE with a typical input.")
    if config.sandbox.backend == "none":
        warn("--sandbox none runs candidate code without any isolation: use it only for code you trust.")
    with open_store(config) as store:
        events = EventBus()
        llm = recording_llm(config, store, events) if config.llm.model else None
        proposer = default_program_proposer(llm, fallback=not no_fallback)
        summarizer = default_program_summarizer(llm, fallback=not no_fallback)
        report = _run(path, options, proposer, summarizer, llm, store, events, resume, quiet=as_json)
    for note in report.notes:
        warn(note)
    written = _write(report, program.source, apply, output, options)
    if as_json:
        typer.echo(json.dumps(report_json(report, applied_to=written), indent=2))
        return
    console.print(render_targets(report))
    console.print(render_diff(report))
    console.print(render_outcome(report, applied_to=written))


def _options(function, top, tests, stdin, args, size, budget_evals, budget_cost, time_limit, seed,
             config: Config) -> ProgramOptions:
    try:
        return ProgramOptions(
            functions=tuple(function or ()), top=top, tests=tests, stdin_files=tuple(stdin or ()),
            args=tuple(shlex.split(args)), size=size, budget_evals=budget_evals, budget_cost_usd=budget_cost,
            time_limit_s=time_limit, seed=seed, backend=config.sandbox.backend,
            search=EvalSettings(backend=config.sandbox.backend))
    except ValueError as exc:
        fail(str(exc))


def _reads_stdin(source: str) -> bool:
    """Whether the code reads its standard input: ``sys.stdin``, ``input()`` or ``fileinput``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "stdin":
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "input":
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and "fileinput" in ast.unparse(node):
            return True
    return False


def _load(path: Path):
    try:
        return load_program(path)
    except ValueError as exc:
        fail(str(exc))


def _run(path: Path, options: ProgramOptions, proposer: Proposer, summarizer: FallbackSummarizer | None, llm,
         store, events: EventBus, resume: str | None, *, quiet: bool) -> ProgramReport:
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
        return optimize_file(path, options, proposer=proposer, llm=llm, store=store, events=events,
                             summarizer=summarizer, resume_run=resume)
    except (ValueError, LookupError) as exc:
        fail(str(exc))
    except LLMUnavailable as exc:
        fail(f"{exc} (--no-fallback was given, so polca does not continue with skills alone)")
    finally:
        if live is not None:
            live.stop()


def _write(report: ProgramReport, source_at_start: str, apply: bool, output: Path | None,
           options: ProgramOptions) -> str | None:
    if not report.improved or not (apply or output):
        return None
    if output is not None:
        output.write_text(report.optimized_source, encoding="utf-8")
        return str(output)
    path = Path(report.path)
    current = path.read_text(encoding="utf-8")
    if hashlib.sha256(current.encode()).digest() != hashlib.sha256(source_at_start.encode()).digest():
        fail(f"{path} changed while polca ran; nothing was written. Re-run polca optimize on the new version.")
    program = load_program(path)
    tests = [options.tests] if options.tests else discover_tests(program)
    passed, summary = run_tests_against(program, report.optimized_source, tests, backend=options.backend)
    if not passed:
        fail(f"the tests fail with the optimized file ({summary}); nothing was written.")
    shutil.copyfile(path, _free_backup_path(path))
    path.write_text(report.optimized_source, encoding="utf-8")
    return str(path)


def _free_backup_path(path: Path) -> Path:
    """``FILE.orig``, or ``FILE.orig.N`` when earlier backups exist: a second --apply must not
    overwrite the backup of the true original with the once-optimized file."""
    backup = path.with_name(path.name + ".orig")
    number = 0
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.orig.{number}")
    return backup
