"""``polca kernelbench``: optimize and evaluate KernelBench kernels.

``run`` searches faster ``ModelNew`` kernels with POLCA and a model (``--model``; there is
no offline kernel proposer), one run per problem, one evaluation worker per GPU
(``--gpus 0,1``), and scores the best of each. ``eval`` scores a folder of existing
solutions (``NN_name.py``, matched to problems by id) with the same hardened evaluator.
Both print a per-problem table, fast_0/1/1.5/2 against PyTorch eager and torch.compile and
the geometric-mean speedup, or the JSON report (``--json``; ``--json-out FILE`` writes it too);
``run --out DIR`` keeps the best correct kernel of each problem.

Problems come from ``--kernelbench-dir`` (a KernelBench checkout with ``--level``, or a
folder of ``NN_name.py`` problems; env ``KERNELBENCH_DIR``), else polca's own small set.
Without a GPU, ``--device cpu`` evaluates C++ kernels built with ``load_inline`` (and Triton
kernels through its interpreter, ``TRITON_INTERPRET=1``); ``--shrink`` scales a problem's
size constants down so real KernelBench files fit a CPU (correctness only: the table and the
JSON mark such timings as not kernel figures). ``--rules strict`` (the default) applies every
polca defence, ``--rules kernelbench`` KernelBench's own allowances, so fast_p compares with
published numbers; tables and JSON name the rule set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

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
from polca.config import SandboxBackend
from polca.events import Event, EventBus

if TYPE_CHECKING:  # kernels_bench imports torch: loaded when a command runs, not for --help
    from polca.kernels_bench import EvalConfig, KernelResult, Problem
    from polca.optimizer.domains.kernel_run import KernelRunOptions, ProblemOutcome

kernelbench_app = typer.Typer(
    help="Optimize KernelBench problems with POLCA and score kernels with a hardened evaluator.",
    epilog=examples(
        "polca kernelbench run --problems 1-3 --model openai/gpt-4o-mini --out best/",
        "polca kernelbench eval best/ --device cpu",
    ),
    no_args_is_help=True,
)

# polca.optimizer.domains.kernel_run.KernelExecutorName, which imports torch: --help must not.
# A test keeps the copy equal.
KernelExecutor = Literal["thread", "ray"]
DeviceName = Literal["cuda", "cpu"]

_SOLUTION_NAME = "{problem_id:02d}_{name}.py"

KernelbenchDir = Annotated[Path | None, typer.Option(
    "--kernelbench-dir", envvar="KERNELBENCH_DIR",
    help="A KernelBench checkout (with --level) or a folder of NN_name.py problems; default: polca's own.")]
Level = Annotated[int | None, typer.Option("--level", help="KernelBench level (1-4); needs a checkout.")]
ProblemIds = Annotated[str | None, typer.Option("--problems", help="Problem ids, e.g. 1-10,17 (default: all).")]
Device = Annotated[DeviceName | None, typer.Option("--device", help="Where kernels run (default: cuda when a GPU is present).")]
Trials = Annotated[int, typer.Option("--trials", help="Timed trials per kernel (100 for reported numbers).")]
NoCompile = Annotated[bool, typer.Option("--no-compile-baseline", help="Skip timing torch.compile of the reference.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the JSON report instead of tables.")]
JsonOut = Annotated[Path | None, typer.Option("--json-out", help="Also write the JSON report to this file.")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds per evaluation, cold compile included.")]
Sandbox = Annotated[SandboxBackend, typer.Option("--sandbox", help="Isolation of each evaluation (none: unsafe).")]
RuleSetName = Literal["strict", "kernelbench"]  # polca.kernels_bench.rules.RuleSetName (that package imports torch)
Rules = Annotated[RuleSetName, typer.Option(
    "--rules", help="Rule set: strict (every polca defence; the default) or kernelbench (KernelBench's own "
                    "allowances, so fast_p compares with published numbers).")]
Shrink = Annotated[bool, typer.Option(
    "--shrink", help="Scale each problem's size constants down to fit a CPU: checks correctness against real "
                     "KernelBench files; its timings are not kernel figures.")]


def register(app: typer.Typer) -> None:
    app.add_typer(kernelbench_app, name="kernelbench")


@kernelbench_app.command("run", epilog=examples(
    "polca kernelbench run --problems 1-3 --model openai/gpt-4o-mini --out best/",
    "polca kernelbench run --kernelbench-dir ~/KernelBench --level 1 --problems 1-10 "
    "--model openai/gpt-4o-mini --gpus 0,1 --json-out report.json"))
def run(
    kernelbench_dir: KernelbenchDir = None,
    level: Level = None,
    problems: ProblemIds = None,
    model: Annotated[str | None, typer.Option("--model", help="Any litellm model string; required.")] = None,
    api_base: Annotated[str | None, typer.Option("--api-base", help="Base URL of an OpenAI-compatible server.")] = None,
    budget_evals: Annotated[int, typer.Option("--budget-evals", help="Instance evaluations per problem.")] = 24,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Correctness seeds per evaluation.")] = 2,
    budget_cost: Annotated[float | None, typer.Option("--budget-cost", help="Most USD of model calls per problem.")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Wall-clock seconds per problem.")] = None,
    gpus: Annotated[str | None, typer.Option("--gpus", help="GPU ids, one evaluation worker each, e.g. 0,1.")] = None,
    executor: Annotated[KernelExecutor, typer.Option(
        "--executor", help="thread: one worker per --gpus id; ray: a Ray cluster (RAY_ADDRESS names it).")] = "thread",
    gpus_per_eval: Annotated[float, typer.Option(
        "--gpus-per-eval", help="GPUs each evaluation holds under --executor ray (1: one per GPU).")] = 1.0,
    device: Device = None,
    trials: Trials = 100,
    no_compile_baseline: NoCompile = False,
    timeout: Timeout = 600.0,
    out: Annotated[Path | None, typer.Option("--out", help="Folder to write each best correct kernel into, as NN_name.py.")] = None,
    as_json: AsJson = False,
    json_out: JsonOut = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    sandbox: Sandbox = "auto",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the minibatches.")] = 0,
    rules: Rules = "strict",
    shrink: Shrink = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Search faster kernels for KernelBench problems with a model, then score the best of each."""
    from polca.optimizer.domains.kernel_run import KernelRunOptions
    config = config_from_flags(llm={"model": model, "api_base": api_base}, store={"url": db})
    if not config.llm.model:
        fail("kernelbench run needs --model (any litellm model) to write kernels; to score kernels you "
             "already have, use `polca kernelbench eval SOLUTIONS_DIR`.")
    selected = _problems(kernelbench_dir, level, problems, shrink)
    device_name = _device(device)
    gpu_ids = _gpu_ids(gpus, device_name)
    eval_config = _eval_config(device_name, trials, not no_compile_baseline, timeout, sandbox, rules)
    try:
        options = KernelRunOptions(eval_config=eval_config, budget_evals=budget_evals, batch_size=batch_size,
                                   gpus=gpu_ids, executor=executor, gpus_per_evaluation=gpus_per_eval,
                                   budget_cost_usd=budget_cost,
                                   time_limit_s=time_limit, seed=seed)
    except ValueError as exc:
        fail(str(exc))
    events = EventBus()
    with open_store(config) as store, _progress(events, quiet=as_json) as begin:
        llm = recording_llm(config, store, events)
        outcomes = _search(selected, options, llm, store, events, begin)
    results = [outcome.result for outcome in outcomes]
    if out is not None:
        _save_solutions(out, selected, [outcome.source for outcome in outcomes], results)
    extra = {"runs": {o.problem_key: {"run_id": o.run_id, "evaluations": o.evaluations, "proposals": o.proposals,
                                      "cost_usd": o.cost_usd, "wall_s": o.wall_s, "stop_reason": o.stop_reason}
                      for o in outcomes}}
    _report(results, len(selected), as_json, json_out, extra)


def _search(selected: Sequence[Problem], options: KernelRunOptions, llm, store, events: EventBus,
            begin) -> tuple[ProblemOutcome, ...]:
    """Every problem's search on one event bus (the LLM client records calls under its current run)."""
    from polca.llm import LLMUnavailable
    from polca.optimizer.domains.kernel_run import optimize_problems

    def bus_for(problem: Problem) -> EventBus:
        begin(problem)
        return events

    try:
        return optimize_problems(selected, options, llm=llm, store=store, events_for=bus_for)
    except (ValueError, ImportError) as exc:
        fail(str(exc))
    except LLMUnavailable as exc:
        fail(f"the model is unreachable: {exc}")


@kernelbench_app.command("eval", epilog=examples(
    "polca kernelbench eval best/ --device cpu",
    "polca kernelbench eval solutions/ --kernelbench-dir ~/KernelBench --level 1 --json-out report.json"))
def evaluate_solutions(
    solutions_dir: Annotated[Path, typer.Argument(help="Folder of NN_name.py files defining ModelNew.")],
    kernelbench_dir: KernelbenchDir = None,
    level: Level = None,
    problems: ProblemIds = None,
    device: Device = None,
    trials: Trials = 100,
    no_compile_baseline: NoCompile = False,
    timeout: Timeout = 600.0,
    as_json: AsJson = False,
    json_out: JsonOut = None,
    sandbox: Sandbox = "auto",
    rules: Rules = "strict",
    shrink: Shrink = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Score existing kernel solutions: correctness, speedups, fast_p."""
    from polca.kernels_bench import evaluate

    selected = _problems(kernelbench_dir, level, problems, shrink)
    solutions = _solutions(solutions_dir, selected, strict=problems is not None)
    eval_config = _eval_config(_device(device), trials, not no_compile_baseline, timeout, sandbox, rules)
    results: list[KernelResult] = []
    for problem, path in solutions:
        if not as_json:
            err_console.print(f"evaluating {problem.key} ({path.name})", highlight=False)
        results.append(evaluate(problem, path.read_text(encoding="utf-8"), eval_config))
    total = len(selected) if problems is not None else len(solutions)
    _report(results, total, as_json, json_out, {"solutions_dir": str(solutions_dir)})


def _problems(kernelbench_dir: Path | None, level: int | None, ids: str | None,
              shrink: bool = False) -> tuple[Problem, ...]:
    from polca.kernels_bench import builtin_problems_dir, load_problems
    from polca.kernels_bench.shrink import shrink_problem

    root = kernelbench_dir if kernelbench_dir is not None else builtin_problems_dir()
    try:
        problems = load_problems(root, level=level, ids=ids)
    except ValueError as exc:
        fail(str(exc))
    if not shrink:
        return problems
    shrunk = []
    for problem in problems:
        try:
            shrunk.append(shrink_problem(problem))
        except ValueError as exc:
            fail(f"--shrink: {problem.key}: {exc}")
    return tuple(shrunk)


def _solutions(folder: Path, problems: Sequence[Problem], *, strict: bool) -> list[tuple[Problem, Path]]:
    """Pair each problem with ``folder/NN_*.py``; problems without one are reported, not scored."""
    if not folder.is_dir():
        fail(f"solutions folder {folder} does not exist; give a folder of NN_name.py files defining ModelNew.")
    pairs: list[tuple[Problem, Path]] = []
    for problem in problems:
        matches = sorted(path for path in folder.glob("*.py") if _file_id(path) == problem.problem_id)
        if len(matches) > 1:
            fail(f"{folder} has {len(matches)} solutions for problem {problem.problem_id} "
                 f"({', '.join(m.name for m in matches)}); keep one per id.")
        if matches:
            pairs.append((problem, matches[0]))
        elif strict:
            warn(f"no solution for {problem.key} in {folder}: it counts as failed in fast_p")
    if not pairs:
        fail(f"{folder} holds no solution named NN_name.py for the selected problems "
             f"(ids {', '.join(str(p.problem_id) for p in problems)}).")
    return pairs


def _file_id(path: Path) -> int | None:
    head = path.name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


def _device(device: str | None) -> str:
    import torch

    available = torch.cuda.is_available()
    if device is None:
        return "cuda" if available else "cpu"
    if device == "cuda" and not available:
        fail("--device cuda was asked, but this machine has no usable CUDA GPU; use --device cpu (C++ kernels).")
    return device


def _gpu_ids(gpus: str | None, device: str) -> tuple[str, ...]:
    if gpus is None:
        return ()
    if device != "cuda":
        fail(f"--gpus {gpus} needs --device cuda; this run evaluates on {device}.")
    ids = tuple(part.strip() for part in gpus.split(","))
    if not ids or not all(part.isdigit() for part in ids) or len(set(ids)) != len(ids):
        fail(f"--gpus {gpus!r} must be distinct GPU ids separated by commas, such as 0,1.")
    import torch

    count = torch.cuda.device_count()
    beyond = [gpu for gpu in ids if int(gpu) >= count]
    if beyond:
        fail(f"--gpus {gpus}: GPU ids {', '.join(beyond)} do not exist; this machine has {count} (ids 0-{count - 1}).")
    return ids


def _eval_config(device: str, trials: int, compare_compile: bool, timeout_s: float, sandbox: str,
                 rules: str = "strict") -> EvalConfig:
    from polca.kernels_bench import EvalConfig, TimingConfig

    try:
        return EvalConfig(device=device, timing=TimingConfig(warmup_trials=min(10, trials), trials=trials),
                          compare_compile=compare_compile, timeout_s=timeout_s, sandbox_backend=sandbox,
                          rules=rules)
    except ValueError as exc:
        fail(str(exc))


@contextmanager
def _progress(events: EventBus, *, quiet: bool) -> Iterator:
    """Shows the search live on stderr; yields ``begin(problem)``, called as each problem starts."""
    live = None if quiet else Live(console=err_console, transient=True, auto_refresh=False)
    state: dict[str, object] = {"progress": ProgressState(), "title": ""}

    def show() -> None:
        if live is not None:
            live.update(Group(f"[bold]{state['title']}[/]", render_progress(state["progress"])), refresh=True)

    def on_event(event: Event) -> None:
        state["progress"] = advance(state["progress"], event)
        show()

    def begin(problem: Problem) -> None:
        state.update(progress=ProgressState(), title=f"searching {problem.key}")
        show()

    events.subscribe(Event, on_event)
    if live is not None:
        live.start()
    try:
        yield begin
    finally:
        if live is not None:
            live.stop()


def _save_solutions(folder: Path, problems: Sequence[Problem], sources: Sequence[str],
                    results: Sequence[KernelResult]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for problem, source, result in zip(problems, sources, results, strict=True):
        if result.correct:
            name = _SOLUTION_NAME.format(problem_id=problem.problem_id, name=problem.name)
            (folder / name).write_text(source.rstrip("\n") + "\n", encoding="utf-8")


def _report(results: Sequence[KernelResult], total: int, as_json: bool, json_out: Path | None,
            extra: dict[str, object]) -> None:
    from polca.kernels_bench import report_dict

    data = {**report_dict(results, total), **extra}
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, indent=1), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(data, indent=1))
        return
    console.print(render_results(results))
    console.print(render_summary(results, total))


def render_results(results: Sequence[KernelResult]) -> RenderableType:
    """One row per problem: verdict, timings and speedups against both baselines, under the
    rule set named in the title; timings of shrunk problems are labelled as not kernel figures."""
    from polca.kernels_bench.results import SHRUNK_NOTE

    rules = ", ".join(sorted({r.rules for r in results})) or "strict"
    table = Table(title=f"kernels (rules: {rules})", title_justify="left")
    statistic = "mean" if rules == "kernelbench" else "median"
    for column in ("problem", "verdict", f"kernel ms ({statistic})", "eager ms", "vs eager", "vs compile"):
        table.add_column(column, justify="left" if column in ("problem", "verdict") else "right")
    for result in results:
        mark = "*" if result.shrunk else ""
        table.add_row(result.problem_key + mark, _verdict(result), _ms(result.candidate_ms, statistic) + mark,
                      _ms(result.reference_ms, statistic) + mark, _times(result.speedup("eager")),
                      _times(result.speedup("compile")))
    parts: list[RenderableType] = [table]
    if any(r.shrunk for r in results):
        parts.append(Text(f"* {SHRUNK_NOTE}", style="bold"))
    notes = [Text(f"{r.problem_key}: {flag}") for r in results if r.correct for flag in r.flags]
    if notes:
        parts += [Text("flagged:", style="bold"), *notes]
    return Group(*parts) if len(parts) > 1 else table


def render_summary(results: Sequence[KernelResult], total: int) -> RenderableType:
    """fast_p at each threshold and the geometric-mean speedup, against each baseline."""
    from polca.kernels_bench import summarize
    from polca.kernels_bench.scoring import BASELINES

    summary = summarize(results, total)
    rules = ", ".join(summary.rules) or "strict"
    shrunk = " (shrunk: not kernel figures)" if summary.shrunk else ""
    table = Table(title=f"{summary.correct}/{summary.tasks} correct, rules: {rules}{shrunk}", title_justify="left")
    thresholds = list(summary.fast_p["eager"])
    for column in ("baseline", *thresholds, "geomean"):
        table.add_column(column, justify="left" if column == "baseline" else "right")
    for baseline in BASELINES:
        shares = [f"{summary.fast_p[baseline][label]:.0%}" for label in thresholds]
        table.add_row(baseline, *shares, _times(summary.geomean_speedup[baseline]))
    if summary.needs_audit:
        return Group(table, f"awaiting audit (not counted): {', '.join(summary.needs_audit)}")
    return table


def _verdict(result: KernelResult) -> str:
    if result.correct:
        return "correct, flagged" if result.flags else "correct"
    return f"{result.failure or 'failed'}: {result.reason}"  # whole: a cut reason hides why it crashed


def _ms(stats, statistic: str = "median") -> str:
    return "-" if stats is None else f"{getattr(stats, f'{statistic}_ms'):.4g}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"
