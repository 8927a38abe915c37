"""``polca optimize-prompt`` and ``polca optimize-agent``: POLCA on DSPy programs and agents.

``optimize-prompt module:program`` searches the instructions of every predictor of a
DSPy program against a metric (``module:fn``) on JSONL data; ``optimize-agent
module:agent --env module:env`` searches a tool-using agent's instructions and tool
descriptions over an environment's episodes. Both print the score on the validation set
before and after, the budget spent, and the new texts (or JSON with ``--json``). The
proposer LM is ``--model``, the task LM ``--task-model``; runs are kept in the store and
``--resume RUN`` continues one. Exit status: 0 when the search ran, 1 for bad input.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from polca.cli.common import (
    DB_HELP,
    Quiet,
    Verbose,
    config_from_flags,
    console,
    examples,
    fail,
    open_store,
    recording_llm,
)
from polca.cli.progress import render_result
from polca.config import Config
from polca.events import EventBus

ModelOption = Annotated[str | None, typer.Option("--model", help="Proposer LM: any litellm model string.")]
ApiBaseOption = Annotated[str | None, typer.Option("--api-base", help="Base URL of the proposer LM's server.")]
TaskModelOption = Annotated[str, typer.Option("--task-model", help="Task LM that runs the program or agent (litellm string).")]
TaskApiBaseOption = Annotated[str | None, typer.Option("--task-api-base", help="Base URL of the task LM's server.")]
BudgetOption = Annotated[int, typer.Option("--max-evaluations", help="Metric calls (episodes for agents) the whole run may spend, a resumed run included.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of minibatches and proposals.")]
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
ResumeOption = Annotated[str | None, typer.Option("--resume", help="Continue the stored run RUN.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer) -> None:
    app.command(
        "optimize-prompt",
        help="Optimize the instructions of a DSPy program's predictors against a metric on JSONL data.",
        epilog=examples(
            "polca optimize-prompt my_pipeline:program --trainset train.jsonl --metric my_pipeline:metric "
            "--model openai/gpt-4o --task-model openai/gpt-4o-mini",
            "polca optimize-prompt my_pipeline:program --trainset train.jsonl --metric my_pipeline:metric "
            "--model openai/gpt-4o --task-model openai/gpt-4o-mini --resume RUN --max-evaluations 400",
        ),
    )(optimize_prompt)
    app.command(
        "optimize-agent",
        help="Optimize a tool-using agent's instructions and tool descriptions over an environment's episodes.",
        epilog=examples(
            "polca optimize-agent my_agent:agent --env polca.optimizer.domains.shopdesk:ShopDesk "
            "--model openai/gpt-4o --task-model openai/gpt-4o-mini",
            "polca optimize-agent my_agent:agent --env polca.optimizer.domains.shopdesk:ShopDesk "
            "--model openai/gpt-4o --task-model openai/gpt-4o-mini --train-tasks a,b --val-tasks c,d --json",
        ),
    )(optimize_agent)


def optimize_prompt(
    program: Annotated[str, typer.Argument(help="module:attr of a dspy.Module (or a function that builds one).")],
    trainset: Annotated[Path, typer.Option("--trainset", help="JSONL file, one example per line.")],
    metric: Annotated[str, typer.Option("--metric", help="module:fn, metric(gold, pred, trace=None).")],
    task_model: TaskModelOption,
    valset: Annotated[Path | None, typer.Option("--valset", help="JSONL validation examples (default: the trainset).")] = None,
    inputs: Annotated[str | None, typer.Option("--inputs", help="Comma-separated input keys (default: the program's input fields).")] = None,
    model: ModelOption = None,
    api_base: ApiBaseOption = None,
    task_api_base: TaskApiBaseOption = None,
    max_evaluations: BudgetOption = 200,
    seed: SeedOption = 0,
    db: DbOption = None,
    resume: ResumeOption = None,
    as_json: JsonOption = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Optimize PROGRAM's instructions and print the scores before and after."""
    from polca.optimizer.domains.prompt import DSPyProgramDomain

    config = _config(model, api_base, db)
    student = _build(load_object(program, "program"), "program")
    train = read_examples(trainset, student, inputs)
    val = read_examples(valset, student, inputs) if valset is not None else None
    domain = _domain(lambda: DSPyProgramDomain(student, load_object(metric, "metric"), train, val,
                                                task_lm=_task_lm(task_model, task_api_base, config)))
    _search(domain, config, max_evaluations=max_evaluations, seed=seed, resume=resume, as_json=as_json)


def optimize_agent(
    agent: Annotated[str, typer.Argument(help="module:attr of a dspy.ReAct or a callable agent(instructions, tools, conversation).")],
    env: Annotated[str, typer.Option("--env", help="module:attr of an Environment (or a function that builds one).")],
    task_model: TaskModelOption,
    train_tasks: Annotated[str | None, typer.Option("--train-tasks", help="Comma-separated task ids (default: all).")] = None,
    val_tasks: Annotated[str | None, typer.Option("--val-tasks", help="Comma-separated validation task ids.")] = None,
    max_turns: Annotated[int, typer.Option("--max-turns", help="Agent replies per episode.")] = 6,
    model: ModelOption = None,
    api_base: ApiBaseOption = None,
    task_api_base: TaskApiBaseOption = None,
    max_evaluations: BudgetOption = 60,
    seed: SeedOption = 0,
    db: DbOption = None,
    resume: ResumeOption = None,
    as_json: JsonOption = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Optimize AGENT in ENV and print the rewards before and after."""
    from polca.optimizer.domains.agent import AgentDomain

    config = _config(model, api_base, db)
    the_agent = load_object(agent, "agent")
    environment = _build(load_object(env, "environment"), "environment", allow=("task_ids", "start"))
    domain = _domain(lambda: AgentDomain(the_agent, environment, train_tasks=_ids(train_tasks),
                                         val_tasks=_ids(val_tasks), max_turns=max_turns,
                                         task_lm=_task_lm(task_model, task_api_base, config)))
    _search(domain, config, max_evaluations=max_evaluations, seed=seed, resume=resume, as_json=as_json)


def load_object(spec: str, what: str) -> Any:
    """The object ``module:attr`` names (the working directory is importable)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        fail(f"{what} {spec!r} must be given as module:attr, e.g. my_pipeline:program")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        fail(f"cannot import the {what}'s module {module_name!r}: {exc}")
    for part in attr.split("."):
        if not hasattr(obj, part):
            fail(f"module {module_name!r} has no attribute {attr!r} (the {what})")
        obj = getattr(obj, part)
    return obj


def _build(obj: Any, what: str, allow: Sequence[str] = ()) -> Any:
    """``obj`` itself, or what it builds when it is a class or a factory."""
    import dspy

    ready = isinstance(obj, dspy.Module) or (allow and all(hasattr(obj, a) for a in allow) and not isinstance(obj, type))
    if ready:
        return obj
    if callable(obj):
        try:
            return obj()
        except TypeError as exc:
            fail(f"the {what} factory {obj!r} must be callable without arguments: {exc}")
    fail(f"the {what} must be an instance or a factory without arguments; got {type(obj).__name__}")


def read_examples(path: Path, program: Any, inputs: str | None) -> list[Any]:
    """``dspy.Example`` per JSONL line, with the given or the program's input keys marked."""
    import dspy

    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"cannot read examples from {path}: {exc}")
    if not all(isinstance(r, dict) for r in records):
        fail(f"{path}: every line must be a JSON object such as {{\"question\": ..., \"answer\": ...}}")
    keys = _ids(inputs) or program_input_keys(program)
    return [dspy.Example(**r).with_inputs(*[k for k in keys if k in r]) for r in records]


def program_input_keys(program: Any) -> list[str]:
    """Input fields of the program's predictors that no predictor produces."""
    produced = {k for _, p in program.named_predictors() for k in p.signature.output_fields}
    ordered = [k for _, p in program.named_predictors() for k in p.signature.input_fields]
    return [k for k in dict.fromkeys(ordered) if k not in produced]


def _ids(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def _config(model: str | None, api_base: str | None, db: str | None) -> Config:
    config = config_from_flags(llm={"model": model, "api_base": api_base}, store={"url": db})
    if not config.llm.model:
        fail("no proposer model: pass --model (any litellm model string) or set POLCA_MODEL.")
    return config


def _task_lm(model: str, api_base: str | None, config: Config) -> Any:
    """The DSPy model the program or agent runs with; it answers at most ``llm.max_tokens``
    (``POLCA_LLM_MAX_TOKENS``), so a local server never generates to the end of its context."""
    import dspy

    limit = {"max_tokens": config.llm.max_tokens} if config.llm.max_tokens else {}
    if api_base is None:
        return dspy.LM(model, **limit)
    return dspy.LM(model, api_base=api_base, cache=False, api_key="no-key", **limit)


def _domain(build: Any) -> Any:
    try:
        return build()
    except (ValueError, TypeError) as exc:
        fail(str(exc))


def _search(domain: Any, config: Config, *, max_evaluations: int, seed: int, resume: str | None,
            as_json: bool) -> None:
    from polca.llm import LLMUnavailable
    from polca.optimizer.api import optimize

    if max_evaluations < 1:
        fail(f"--max-evaluations {max_evaluations} must be at least 1.")
    split = list(domain.validation_instances()) or list(domain.instances())
    with open_store(config) as store:
        events = EventBus()
        llm = recording_llm(config, store, events)
        before = _mean(domain.evaluate(domain.seed(), split))
        # A resumed run keeps its stored settings; only its budget may grow.
        options = {"max_evaluations": max_evaluations} if resume else {"max_evaluations": max_evaluations, "seed": seed}
        try:
            result = optimize(domain, llm=llm, store=store, run_id=resume, resume=resume is not None,
                              events=events, **options)
        except (ValueError, LookupError, LLMUnavailable) as exc:
            fail(str(exc))
    changed = {k: v for k, v in result.best.params.items() if domain.seed().params.get(k) != v}
    if as_json:
        typer.echo(json.dumps({"run_id": result.run_id, "before": before, "after": result.best_score,
                               "num_validation": len(split), "evaluations": result.evaluations,
                               "params": dict(result.best.params), "changed": sorted(changed)}, indent=2))
        return
    console.print(render_scores(before, result.best_score, len(split)))
    console.print(render_result(result))
    console.print(render_params(changed))


def render_scores(before: float, after: float, num_validation: int) -> Table:
    """Validation score of the seed and of the best candidate."""
    table = Table(title=f"validation score ({num_validation} instances)", title_justify="left")
    table.add_column("before")
    table.add_column("after")
    table.add_row(_fmt(before), _fmt(after))
    return table


def render_params(changed: dict[str, str]) -> Table:
    """The texts the search changed, one row each."""
    table = Table(title="new texts" if changed else "no text changed", title_justify="left",
                  show_lines=True)
    table.add_column("parameter", style="bold")
    table.add_column("value")
    for name, value in sorted(changed.items()):
        table.add_row(name, value)
    return table


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4g}"


def _mean(evaluations: Sequence[Any]) -> float:
    scores = [e.score for e in evaluations]
    return math.fsum(scores) / len(scores) if scores else math.nan


