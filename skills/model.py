"""The skill format: one folder per skill, a ``SKILL.md`` and optional runnable files.

A skill folder holds::

    SKILL.md        YAML front matter + Markdown sections (required)
    before.py       the slow example, runnable; also generates inputs (operator skills)
    after.py        the fast example, same public function(s) as before.py
    rule.py         an executable rewrite: ``rewrite(module: libcst.Module) -> libcst.Module``
    counter.py      code where a precondition of rule.py fails; the rule leaves it untouched
    measured.json   figures written by the tool (never typed by hand)

Front matter keys: ``id`` (equals the folder name), ``type`` (``operator`` or ``meta``),
``language``, ``family``, ``name``, ``description``, ``tags``, ``triggers`` (Python
regular expressions matched against source code), and optionally ``requires`` (modules
the after-code imports beyond the standard library).

Validation collects every problem of a folder (missing section, unknown type, id not
matching the folder, bad YAML, ...) into one :class:`SkillFormatError`, not the first only.
"""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, get_args

import yaml

from polca.parsing import parse_python

SkillType = Literal["operator", "meta"]
SKILL_TYPES: tuple[str, ...] = get_args(SkillType)

DEFAULT_LIBRARY = Path(__file__).resolve().parent / "library"

OPERATOR_FAMILIES = ("data-structures", "constant-factors", "algorithmic", "io", "libraries")
META_FAMILIES = ("diagnose", "retrieve", "strategize", "judge")
OPERATOR_SECTIONS = (
    "When to use",
    "Steps",
    "Complexity",
    "Pitfalls",
    "When not to use",
    "Before-After example",
)
META_SECTIONS = ("When to use", "Prompt")
REQUIRED_KEYS = ("id", "type", "language", "family", "name", "description", "tags", "triggers")
OPTIONAL_KEYS = ("requires",)
ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MEASURED_FILE = "measured.json"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n(.*)\Z", re.DOTALL)
_SECTION = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)
_REPEATED_GROUP = re.compile(r"(?<!\\)\)[*+{]")


class SkillFormatError(ValueError):
    """A skill folder (or a library) breaks the format; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{len(self.errors)} problem(s) in the skill format:\n{lines}")


@dataclass(frozen=True)
class Measured:
    """Figures the tool measured for a skill; lives in ``measured.json`` beside SKILL.md.

    ``example_speedup_median`` is the median speedup of after.py over before.py on the
    skill's own example; ``task_speedups_median`` maps a task id to the median speedup the
    skill gave on that task.
    """

    example_speedup_median: float | None = None
    example_size: int | None = None
    task_speedups_median: Mapping[str, float] = field(default_factory=dict)
    measured_at: str = ""  # ISO 8601, UTC
    python_version: str = ""


@dataclass(frozen=True)
class Skill:
    """One skill, parsed from its folder. ``sections`` keeps the Markdown order."""

    id: str
    type: SkillType
    language: str
    family: str
    name: str
    description: str
    tags: tuple[str, ...]
    triggers: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]
    requires: tuple[str, ...] = ()
    path: Path | None = None

    def section(self, title: str) -> str:
        """The text of the section called ``title`` (without its heading)."""
        for name, text in self.sections:
            if name == title:
                return text
        known = ", ".join(name for name, _ in self.sections)
        raise KeyError(f"skill {self.id!r} has no section {title!r}; it has: {known}")

    def _file(self, name: str) -> Path | None:
        if self.path is None:
            return None
        candidate = self.path / name
        return candidate if candidate.is_file() else None

    @property
    def before_path(self) -> Path | None:
        return self._file("before.py")

    @property
    def after_path(self) -> Path | None:
        return self._file("after.py")

    @property
    def rule_path(self) -> Path | None:
        return self._file("rule.py")

    @property
    def counter_path(self) -> Path | None:
        return self._file("counter.py")

    @property
    def has_rule(self) -> bool:
        return self.rule_path is not None

    @property
    def prompt(self) -> str:
        """A meta skill's prompt text (its ``Prompt`` section)."""
        if self.type != "meta":
            raise ValueError(f"skill {self.id!r} is an operator skill; only meta skills have a prompt")
        return self.section("Prompt")

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Names of the ``{placeholders}`` a meta skill's prompt expects, in order."""
        names = [f for _, f, _, _ in string.Formatter().parse(self.prompt) if f]
        return tuple(dict.fromkeys(names))

    def render_prompt(self, **values: str) -> str:
        """The prompt with every placeholder filled; missing or unknown names raise."""
        expected = set(self.placeholders)
        missing = sorted(expected - values.keys())
        unknown = sorted(values.keys() - expected)
        if missing or unknown:
            raise ValueError(
                f"meta skill {self.id!r} needs values for {sorted(expected)}; "
                f"missing {missing}, unknown {unknown}. Pass exactly the placeholders."
            )
        return self.prompt.format(**values)

    def measured(self) -> Measured | None:
        """The machine-written figures in ``measured.json``, or None if never measured."""
        path = self._file(MEASURED_FILE)
        return read_measured(path) if path else None


def read_measured(path: Path) -> Measured:
    """Read a ``measured.json`` written by :func:`write_measured`."""
    data = json.loads(Path(path).read_text())
    return Measured(**data)


def write_measured(skill: Skill, measured: Measured) -> Path:
    """Record measured figures beside the skill's SKILL.md (the tool calls this, not people)."""
    if skill.path is None:
        raise ValueError(f"skill {skill.id!r} has no folder; load it from disk to record figures")
    path = skill.path / MEASURED_FILE
    payload = asdict(measured)
    payload["task_speedups_median"] = dict(measured.task_speedups_median)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return path


def split_front_matter(text: str) -> tuple[dict, str, list[str]]:
    """Split SKILL.md text into (front matter mapping, body, errors)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text, ["SKILL.md must start with YAML front matter between two '---' lines"]
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        return {}, match.group(2), [f"front matter is not valid YAML: {exc}".replace("\n", " ")]
    if not isinstance(data, dict):
        return {}, match.group(2), [f"front matter must be a YAML mapping, got {type(data).__name__}"]
    return data, match.group(2), []


def split_sections(body: str) -> tuple[tuple[str, str], ...]:
    """The ``## Title`` sections of a Markdown body, in order, text stripped."""
    heads = list(_SECTION.finditer(body))
    out = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        out.append((head.group(1), body[head.end() : end].strip()))
    return tuple(out)


def _check_keys(meta: dict, folder: str) -> list[str]:
    errors = [f"front matter is missing {key!r}" for key in REQUIRED_KEYS if key not in meta]
    allowed = REQUIRED_KEYS + OPTIONAL_KEYS
    for key in meta:
        if key not in allowed:
            hint = (
                " (measured figures are written by the tool into measured.json)"
                if "speedup" in str(key) or "measured" in str(key)
                else ""
            )
            errors.append(f"unknown front matter key {key!r}{hint}; allowed: {', '.join(allowed)}")
    skill_id = meta.get("id")
    if "id" in meta and (not isinstance(skill_id, str) or not ID_PATTERN.match(skill_id)):
        errors.append(f"id {skill_id!r} must be kebab-case (lowercase words joined by '-')")
    elif isinstance(skill_id, str) and folder and skill_id != folder:
        errors.append(f"id {skill_id!r} does not match its folder name {folder!r}; rename one")
    return errors


def _check_values(meta: dict) -> list[str]:
    errors = []
    kind = meta.get("type")
    if "type" in meta and kind not in SKILL_TYPES:
        errors.append(f"type {kind!r} is unknown; use one of {', '.join(SKILL_TYPES)}")
    families = META_FAMILIES if kind == "meta" else OPERATOR_FAMILIES
    if "family" in meta and kind in SKILL_TYPES and meta["family"] not in families:
        errors.append(f"family {meta['family']!r} is unknown for type {kind}; use one of {', '.join(families)}")
    for key in ("language", "name", "description"):
        if key in meta and (not isinstance(meta[key], str) or not meta[key].strip()):
            errors.append(f"{key} must be a non-empty string, got {meta[key]!r}")
    for key in ("tags", "triggers", "requires"):
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            errors.append(f"{key} must be a list of non-empty strings, got {value!r}")
    for trigger in meta.get("triggers") or []:
        try:
            re.compile(str(trigger))
        except re.error as exc:
            errors.append(f"trigger {trigger!r} is not a valid regular expression: {exc}")
        if _REPEATED_GROUP.search(str(trigger)):
            errors.append(
                f"trigger {trigger!r} repeats a group, which can make matching take exponential "
                "time on long sources; match one line or a fixed number of lines instead"
            )
    return errors


def _check_sections(kind: object, sections: tuple[tuple[str, str], ...]) -> list[str]:
    required = META_SECTIONS if kind == "meta" else OPERATOR_SECTIONS
    present = {name: text for name, text in sections}
    errors = [f"section '## {name}' is missing" for name in required if name not in present]
    errors += [f"section '## {name}' is empty" for name in required if present.get(name) == ""]
    if kind == "meta" and present.get("Prompt"):
        try:
            list(string.Formatter().parse(present["Prompt"]))
        except ValueError as exc:
            errors.append(f"Prompt has a bad placeholder ({exc}); write literal braces as '{{{{' and '}}}}'")
    return errors


def _defined_functions(path: Path) -> tuple[set[str], list[str]]:
    try:
        tree = parse_python(path.read_text(), filename=str(path))
    except SyntaxError as exc:
        return set(), [f"{path.name} does not parse: {exc}"]
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, []


def _check_files(folder: Path, kind: object) -> list[str]:
    has = {name: (folder / name).is_file() for name in ("before.py", "after.py", "rule.py", "counter.py")}
    if kind == "meta":
        return [f"meta skills carry no {n}" for n, present in has.items() if present]
    errors = []
    if has["before.py"] != has["after.py"]:
        errors.append("before.py and after.py come together: add the missing one")
    if has["rule.py"] and not has["counter.py"]:
        errors.append("rule.py needs a counter.py where a precondition fails (the rule must leave it alone)")
    if has["rule.py"] and not has["before.py"]:
        errors.append("rule.py needs before.py/after.py to show what it rewrites")
    if has["before.py"] and has["after.py"]:
        errors += _check_example(folder)
    return errors


def _check_example(folder: Path) -> list[str]:
    before, errors = _defined_functions(folder / "before.py")
    after, more = _defined_functions(folder / "after.py")
    errors += more
    if errors:
        return errors
    if "make_stdin" in before:
        entries = ("main",)
    elif "make_input" in before:
        entries = ("solve",)
    else:
        return ["before.py must define make_input(size, rng) or, for a stdin script, make_stdin(size, rng)"]
    for entry in entries:
        for name, defined in (("before.py", before), ("after.py", after)):
            if entry not in defined:
                errors.append(f"{name} must define {entry}()")
    if not re.search(r"^BENCH_SIZE\s*=", (folder / "before.py").read_text(), re.MULTILINE):
        errors.append("before.py must set BENCH_SIZE = <int>, the input size its speedup is measured at")
    return errors


def validate_skill_dir(folder: Path) -> list[str]:
    """Every problem of one skill folder, as messages prefixed by the folder name."""
    folder = Path(folder)
    skill_md = folder / "SKILL.md"
    if not skill_md.is_file():
        return [f"{folder.name}: no SKILL.md in {folder}"]
    meta, body, errors = split_front_matter(skill_md.read_text())
    if meta:
        errors += _check_keys(meta, folder.name) + _check_values(meta)
    errors += _check_sections(meta.get("type"), split_sections(body))
    errors += _check_files(folder, meta.get("type"))
    return [f"{folder.name}: {e}" for e in errors]


def parse_skill(folder: Path) -> Skill:
    """Load one skill folder; raises :class:`SkillFormatError` listing every problem."""
    folder = Path(folder)
    errors = validate_skill_dir(folder)
    if errors:
        raise SkillFormatError(errors)
    meta, body, _ = split_front_matter((folder / "SKILL.md").read_text())
    return Skill(
        id=meta["id"],
        type=meta["type"],
        language=meta["language"],
        family=meta["family"],
        name=meta["name"],
        description=" ".join(meta["description"].split()),
        tags=tuple(meta["tags"]),
        triggers=tuple(meta["triggers"]),
        sections=split_sections(body),
        requires=tuple(meta.get("requires") or ()),
        path=folder,
    )


def skill_dirs(root: Path) -> list[Path]:
    """Folders under ``root`` (any depth) that hold a SKILL.md, sorted by path."""
    return sorted(p.parent for p in Path(root).rglob("SKILL.md"))


def load_library(path: Path | str = DEFAULT_LIBRARY) -> list[Skill]:
    """Every skill under ``path``, sorted by id.

    Raises :class:`SkillFormatError` listing the problems of all folders together, and
    for ids used by more than one folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"skill library {str(root)!r} is not a directory; pass the folder that holds skill folders")
    folders = skill_dirs(root)
    errors = [e for folder in folders for e in validate_skill_dir(folder)]
    if errors:
        raise SkillFormatError(errors)
    skills = [parse_skill(folder) for folder in folders]
    seen: dict[str, Path] = {}
    for skill in skills:
        if skill.id in seen:
            errors.append(f"id {skill.id!r} is used by {seen[skill.id]} and {skill.path}")
        seen[skill.id] = skill.path
    if errors:
        raise SkillFormatError(errors)
    return sorted(skills, key=lambda s: s.id)
