"""``polca skills``: the EffiSkill library of slow-to-fast optimization skills.

    polca skills list [--family F] [--json]
    polca skills show ID
    polca skills validate [DIR]
    polca skills mine PAIRS.jsonl [--miner ast|llm] [--out DIR] [--model M]
    polca skills apply FILE [--model M] [-k 8] [--out FILE]
    polca skills export --format agent-skills DIR

The library is the built-in one plus mined skills in ``.polca/skills/`` (when that
folder exists) plus every ``--library DIR``.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from polca.cli.common import Quiet, Verbose, config_from_flags, console, examples, fail, warn
from polca.parsing import parse_python

skills_app = typer.Typer(
    help="List, mine, validate and apply slow-to-fast optimization skills.",
    epilog=examples("polca skills list", "polca skills apply slow.py --out fast.py"),
    no_args_is_help=True,
)

LibraryOpt = Annotated[
    list[Path] | None,
    typer.Option("--library", help="Extra skill folder(s) beside the built-in library and .polca/skills."),
]
Miner = Literal["ast", "llm"]
ExportFormat = Literal["agent-skills"]  # polca.skills.export.ExportFormat (a test keeps them equal)


def register(app: typer.Typer) -> None:
    app.add_typer(skills_app, name="skills")


def library_dirs(extra: list[Path] | None) -> list[Path]:
    """Built-in library, ``.polca/skills`` when present, then ``extra`` (one rule for every command)."""
    from polca.skills.registry import library_dirs as dirs

    return dirs(extra or ())


def _registry(extra: list[Path] | None):
    from polca.skills.model import SkillFormatError, load_library
    from polca.skills.registry import SkillRegistry

    try:
        return SkillRegistry([s for d in library_dirs(extra) for s in load_library(d)])
    except SkillFormatError as exc:
        fail("the skill library does not validate:\n  " + "\n  ".join(exc.errors) + "\nRun `polca skills validate`.")
    except ValueError as exc:
        fail(str(exc))


def _client(model: str | None, api_base: str | None):
    if model is None:
        return None
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from polca.llm import LLMClient

    config = config_from_flags(llm={"model": model, "api_base": api_base})
    try:
        return LLMClient(config.llm)
    except ValueError as exc:
        fail(f"--model: {exc}")


@skills_app.command("list", epilog=examples("polca skills list", "polca skills list --family loops --json"))
def list_skills(
    library: LibraryOpt = None,
    family: Annotated[str | None, typer.Option("--family", help="Only this family.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the registry index as JSON.")] = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """List the skills in the library."""
    registry = _registry(library)
    skills = [s for s in registry if family is None or s.family == family]
    if family is not None and not skills:
        families = sorted({s.family for s in registry})
        fail(f"no skill has family {family!r}; families: {', '.join(families)}")
    if as_json:
        index = {row["id"]: row for row in registry.to_index()}
        console.print_json(json.dumps([index[s.id] for s in skills]))
        return
    console.print(skills_table(skills) if console.width >= WIDE_TABLE_COLUMNS else skills_lines(skills))


WIDE_TABLE_COLUMNS = 110
"""Narrower terminals get ``skills_lines``: beside the long ids the table left names a few letters."""


def skills_table(skills) -> Table:
    """One row per skill: id, type, family, whether it has an executable rule, name."""
    table = Table(title=f"{len(skills)} skills")
    table.add_column("id", no_wrap=True, min_width=max(len(s.id) for s in skills))
    for column in ("type", "family", "rule", "name"):
        table.add_column(column)
    for skill in skills:
        table.add_row(skill.id, skill.type, skill.family, "yes" if skill.has_rule else "", escape(skill.name))
    return table


def skills_lines(skills) -> Group:
    """Two lines per skill for narrow terminals: id with type, family and rule, then the name."""
    lines = [Text(f"{len(skills)} skills", style="italic")]
    for skill in skills:
        rule = ", executable rule" if skill.has_rule else ""
        lines.append(Text.assemble((skill.id, "bold"), f"  {skill.type}, {skill.family}{rule}"))
        lines.append(Text(f"  {skill.name}"))
    return Group(*lines)


@skills_app.command("show", epilog=examples("polca skills show SKILL_ID", "polca skills list  # the ids"))
def show(
    skill_id: Annotated[str, typer.Argument(help="The skill's id.")],
    library: LibraryOpt = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Print one skill: its SKILL.md, its files and its measured figures."""
    from polca.skills.registry import UnknownSkillError

    registry = _registry(library)
    try:
        skill = registry.get(skill_id)
    except UnknownSkillError as exc:
        fail(str(exc).replace("list them with registry.ids", "`polca skills list` shows them"))
    # soft_wrap: SKILL.md goes out as written, so its YAML front matter stays valid in any terminal.
    console.print((skill.path / "SKILL.md").read_text(), markup=False, highlight=False, soft_wrap=True)
    files = [p.name for p in sorted(skill.path.iterdir()) if p.is_file() and p.name != "SKILL.md"]
    console.print(f"[bold]folder:[/] {skill.path}   [bold]files:[/] {', '.join(files) or 'none'}", highlight=False)
    measured = skill.measured()
    if measured is not None:
        console.print(f"[bold]measured:[/] {measured.example_speedup_median:.2f}x on its example", highlight=False)


def check_rules(skills) -> list[str]:
    """Problems of executable rules: before.py must change, counter.py must not."""
    from polca.skills.registry import rule_problems

    return [problem for skill in skills for problem in rule_problems(skill)]


@skills_app.command("validate", epilog=examples("polca skills validate", "polca skills validate .polca/skills"))
def validate(
    folder: Annotated[Path | None, typer.Argument(help="A skill library folder (default: every library in use).")] = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Check every skill folder's format, and that each rule rewrites before.py and not counter.py."""
    from polca.skills.model import parse_skill, skill_dirs, validate_skill_dir

    dirs = [folder] if folder is not None else library_dirs(None)
    errors: list[str] = []
    skills = []
    for root in dirs:
        if not root.is_dir():
            fail(f"{str(root)!r} is not a directory; pass a folder that holds skill folders")
        for path in skill_dirs(root):
            found = validate_skill_dir(path)
            errors += found
            if not found:
                skills.append(parse_skill(path))
    errors += check_rules(skills)
    for error in errors:
        console.print(f"[red]✗[/] {escape(error)}", highlight=False)
    if errors:
        raise typer.Exit(1)
    console.print(f"[green]✓[/] {len(skills)} skills valid, {sum(s.has_rule for s in skills)} rules checked")


@skills_app.command("mine", epilog=examples(
    "polca skills mine pairs.jsonl --out mined/",
    "polca skills mine pairs.jsonl --miner llm --model openai/gpt-4o-mini"))
def mine(
    pairs: Annotated[Path, typer.Argument(help="JSONL of slow/fast program pairs (polca or PIE layout).")],
    miner: Annotated[Miner, typer.Option("--miner", help="ast: no model, executable skills; llm: needs --model.")] = "ast",
    out: Annotated[Path, typer.Option("--out", help="Where mined skill folders go.")] = Path(".polca/skills"),
    model: Annotated[str | None, typer.Option("--model", help="litellm model for --miner llm.")] = None,
    api_base: Annotated[str | None, typer.Option("--api-base", help="Base URL of the model server.")] = None,
    embedding_model: Annotated[str | None, typer.Option("--embedding-model", help="Merge near-duplicates by this model's embeddings (default: offline bag of words).")] = None,
    min_support: Annotated[int, typer.Option("--min-support", min=1, help="Distinct problems a template needs (ast).")] = 2,
    force: Annotated[bool, typer.Option("--force", help="Replace skill folders that already exist.")] = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Grow a skill library from slow/fast pairs (into --out, never the built-in library)."""
    from polca.skills.pairs import load_pairs

    if miner == "llm" and model is None:
        fail("--miner llm needs --model, e.g. --model openai/gpt-4o-mini")
    try:
        loaded = load_pairs(pairs)
        if miner == "ast":
            _mine_ast(loaded, out, min_support, force)
        else:
            _mine_llm(loaded, out, _client(model, api_base), embedding_model, force)
    except ValueError as exc:
        fail(str(exc))


def _mine_ast(pairs, out: Path, min_support: int, force: bool) -> None:
    from polca.skills.mine_ast import mine_skills

    report = mine_skills(pairs, out, min_support=min_support, overwrite=force)
    table = Table(title=f"{len(report.rules)} candidate rules from {len(pairs)} pairs")
    for column in ("kept", "before", "after", "problems", "why"):
        table.add_column(column)
    for rule in report.rules:
        table.add_row("yes" if rule.kept else "no", escape(rule.before), escape(rule.after),
                      str(len(rule.problems)), escape(rule.reason))
    console.print(table)
    _written(report.skills, out)


def _mine_llm(pairs, out: Path, client, embedding_model: str | None, force: bool) -> None:
    from polca.skills.mine_llm import mine_with_llm

    report = mine_with_llm(pairs, client, out, embedding_model=embedding_model, overwrite=force)
    console.print(f"{len(report.traces)} audit traces, {len(report.proposed)} skills proposed, "
                  f"{len(report.merged)} after merging near-duplicates")
    for failure in report.failures:
        warn(failure)
    _written(report.skills, out)


def _written(skills, out: Path) -> None:
    for skill in skills:
        console.print(f"[green]+[/] {skill.id}  {escape(skill.name)}", highlight=False)
    if not skills:
        console.print(f"no skill written to {out}")


@skills_app.command("apply", epilog=examples(
    "polca skills apply slow.py", "polca skills apply slow.py --model openai/gpt-4o-mini --out fast.py"))
def apply(
    path: Annotated[Path, typer.Argument(help="The Python file to rewrite.")],
    k: Annotated[int, typer.Option("-k", min=1, help="How many candidates to generate.")] = 8,
    model: Annotated[str | None, typer.Option("--model", help="Any litellm model; offline rules only without it.")] = None,
    api_base: Annotated[str | None, typer.Option("--api-base", help="Base URL of the model server.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the first candidate to this file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print diagnosis and candidates as JSON.")] = False,
    library: LibraryOpt = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Diagnose a file, retrieve skills and generate faster candidates (nothing is run)."""
    from polca.skills.apply import apply_skills

    source = _python_source(path)
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        fail(f"--out {out} must be a file in an existing folder; create the folder or pick another path")
    result = apply_skills(source, registry=_registry(library), llm=_client(model, api_base), model=model, k=k)
    if as_json:
        console.print_json(json.dumps(apply_json(result)))
    else:
        _print_apply(result, source, path)
    if out is not None:
        if result.best is None:
            fail("no candidate to write: no skill applies to this file")
        out.write_text(result.best.code, encoding="utf-8")
        console.print(f"wrote the first candidate to {out}")


def _python_source(path: Path) -> str:
    """The text of the Python file ``path``; anything else is a one-line error."""
    if not path.is_file():
        fail(f"{str(path)!r} is not a file; pass the Python file to rewrite")
    if path.suffix != ".py":
        fail(f"{path} is not a Python file; polca skills apply takes a .py file")
    try:
        source = path.read_text(encoding="utf-8")
        parse_python(source, filename=str(path))
    except UnicodeDecodeError as exc:
        fail(f"{path} is not UTF-8 text ({exc.reason}); save it as UTF-8")
    except SyntaxError as exc:
        fail(f"{path} has a syntax error at line {exc.lineno}: {exc.msg}; fix it so the file runs with python")
    return source


def apply_json(result) -> dict:
    return {
        "diagnosis": result.diagnosis.to_dict(),
        "retrieved": [{"id": r.skill.id, "score": r.score, "applicable": r.applicable} for r in result.retrieved],
        "plans": [{"name": p.name, "skills": list(p.skills)} for p in result.plans],
        "candidates": [{"skills": list(c.skills), "plan": c.plan, "via": c.via, "code": c.code}
                       for c in result.candidates],
        "rejected": [{"skills": list(c.skills), "reason": why} for c, why in result.rejected],
    }


def _print_apply(result, source: str, path: Path) -> None:
    console.print("[bold]diagnosis[/]")
    console.print(result.diagnosis.summary(), markup=False, highlight=False)
    console.print("[bold]skills[/]  " + ", ".join(
        f"{r.skill.id}{' (rule applies)' if r.applicable else ''}" for r in result.retrieved), highlight=False)
    if not result.candidates:
        console.print("no candidate: no executable skill applies" + ("" if result.plans else " and none was retrieved"))
        return
    for index, cand in enumerate(result.candidates, start=1):
        console.print(f"[bold]candidate {index}[/] ({cand.plan}, {cand.via}): {', '.join(cand.skills)}", highlight=False)
    diff = difflib.unified_diff(source.splitlines(keepends=True), result.best.code.splitlines(keepends=True),
                                f"{path}", f"{path} (candidate 1)")
    console.print("".join(diff), markup=False, highlight=False)


@skills_app.command("export", epilog=examples("polca skills export --format agent-skills exported/"))
def export(
    out: Annotated[Path, typer.Argument(help="Folder to write one skill folder per skill into.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Export format.")] = "agent-skills",
    library: LibraryOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace folders that already exist.")] = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Export the library as plain SKILL.md folders any coding agent can load."""
    from polca.skills.export import export_skills

    try:
        written = export_skills(_registry(library), out, fmt=fmt, overwrite=force)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"exported {len(written)} skills to {out}")
