"""The skill registry: an index of front matter built from the skill folders.

Never written by hand: :func:`build_registry` reads the folders each time, so the index
cannot drift from the library. Stage II retrieval and the ``polca skills`` command look
skills up here by id, family, tag or trigger.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from polca.skills.model import (
    DEFAULT_LIBRARY,
    Skill,
    load_library,
    parse_skill,
    skill_dirs,
    validate_skill_dir,
)
from polca.skills.rules import apply_rule


class UnknownSkillError(LookupError):
    """No skill has the requested id; the message lists close matches."""


class SkillRegistry:
    """Skills by id, with lookups by family, tag and trigger. Immutable once built."""

    def __init__(self, skills: Iterable[Skill]) -> None:
        by_id: dict[str, Skill] = {}
        for skill in skills:
            if skill.id in by_id:
                raise ValueError(f"two skills share the id {skill.id!r}; ids must be unique")
            by_id[skill.id] = skill
        self._by_id = dict(sorted(by_id.items()))
        self._triggers = {
            skill.id: tuple(re.compile(t, re.MULTILINE) for t in skill.triggers)
            for skill in self._by_id.values()
        }

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._by_id.values())

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._by_id

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def get(self, skill_id: str) -> Skill:
        """The skill with ``skill_id``; an unknown id raises listing close matches."""
        if skill_id in self._by_id:
            return self._by_id[skill_id]
        close = difflib.get_close_matches(skill_id, self._by_id, n=5, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "list them with registry.ids"
        raise UnknownSkillError(f"no skill with id {skill_id!r} among {len(self)} skills; {hint}")

    def operators(self) -> list[Skill]:
        return [s for s in self if s.type == "operator"]

    def metas(self) -> list[Skill]:
        return [s for s in self if s.type == "meta"]

    def by_family(self, family: str) -> list[Skill]:
        return [s for s in self if s.family == family]

    def with_tags(self, *tags: str) -> list[Skill]:
        """Skills carrying every one of ``tags``."""
        wanted = set(tags)
        return [s for s in self if wanted <= set(s.tags)]

    def with_rules(self) -> list[Skill]:
        return [s for s in self if s.has_rule]

    def triggered_by(self, source: str) -> list[tuple[Skill, int]]:
        """Operator skills whose triggers match ``source``, most matched lines first.

        Each pair is (skill, number of trigger matches in the source). A trigger is a hint
        for retrieval, not a proof that the skill applies.
        """
        hits = []
        for skill in self.operators():
            count = sum(len(p.findall(source)) for p in self._triggers[skill.id])
            if count:
                hits.append((skill, count))
        return sorted(hits, key=lambda pair: (-pair[1], pair[0].id))

    def to_index(self) -> list[dict]:
        """The front matter of every skill as plain data (for agents and JSON output)."""
        return [
            {
                "id": s.id,
                "type": s.type,
                "language": s.language,
                "family": s.family,
                "name": s.name,
                "description": s.description,
                "tags": list(s.tags),
                "triggers": list(s.triggers),
                "requires": list(s.requires),
                "has_rule": s.has_rule,
                "path": str(s.path) if s.path else None,
            }
            for s in self
        ]


def build_registry(*paths: Path | str) -> SkillRegistry:
    """Read every skill folder under each of ``paths`` (default: the built-in library) and
    index them together, e.g. the built-in library plus a project's mined skills.

    Raises :class:`~polca.skills.model.SkillFormatError` on format problems and
    ValueError when two libraries define the same id.
    """
    roots = paths or (DEFAULT_LIBRARY,)
    return SkillRegistry(skill for root in roots for skill in load_library(root))


# ---------------------------------------------------------------- the libraries a command uses


def library_dirs(extra: Iterable[Path | str] = (), *, mined: Path | None = None) -> list[Path]:
    """The skill folders ``polca skills`` and ``polca optimize`` read: the built-in library,
    the project's mined skills (``mined``, default ``.polca/skills``) when that folder
    exists, then each of ``extra`` (``--library DIR``, ``[tool.polca.optimize] library``)."""
    from polca.skills.skill_writer import DEFAULT_MINED_DIR

    mined = DEFAULT_MINED_DIR if mined is None else Path(mined)
    dirs = [DEFAULT_LIBRARY]
    if mined.is_dir():
        dirs.append(mined)
    return dirs + [Path(p) for p in extra]


def rule_problems(skill: Skill) -> list[str]:
    """Why ``skill``'s rule fails its own validation: it must rewrite before.py and leave
    counter.py (where a precondition fails) unchanged. Empty for a good rule or no rule."""
    if not skill.has_rule:
        return []
    problems = []
    before = apply_rule(skill, skill.before_path.read_text()) if skill.before_path else None
    if before is None or not before.changed:
        reason = before.error if before is not None else "(no before.py)"
        problems.append(f"{skill.id}: rule.py leaves before.py unchanged {reason}".rstrip())
    if skill.counter_path is not None and apply_rule(skill, skill.counter_path.read_text()).changed:
        problems.append(f"{skill.id}: rule.py rewrites counter.py, where a precondition fails")
    return problems


@dataclass(frozen=True)
class LoadedLibrary:
    """A registry of every skill that passed validation, and one line per skill left out."""

    registry: SkillRegistry
    rejected: tuple[str, ...] = ()


def load_checked(dirs: Iterable[Path | str]) -> LoadedLibrary:
    """The skills under ``dirs`` that ``polca skills validate`` accepts.

    The built-in library is trusted and must load whole (a format problem raises
    :class:`~polca.skills.model.SkillFormatError`); a skill of any other folder whose
    format is invalid, whose rule fails its own validation (:func:`rule_problems`) or
    whose id is already taken is left out, with the reason in ``rejected``. A folder that
    does not exist raises ValueError.
    """
    skills: dict[str, Skill] = {}
    rejected: list[str] = []
    for root in map(Path, dirs):
        if not root.is_dir():
            raise ValueError(f"skill library {str(root)!r} is not a directory; pass the folder that holds skill folders")
        if root.resolve() == DEFAULT_LIBRARY.resolve():
            skills.update((s.id, s) for s in load_library(root))
            continue
        for folder in skill_dirs(root):
            skill, why = _checked_skill(folder, skills)
            if skill is None:
                rejected.append(f"skill {folder} not loaded: {why}")
            else:
                skills[skill.id] = skill
    return LoadedLibrary(SkillRegistry(skills.values()), tuple(rejected))


def _checked_skill(folder: Path, known: dict[str, Skill]) -> tuple[Skill | None, str]:
    errors = validate_skill_dir(folder)
    if errors:
        return None, "; ".join(errors)
    skill = parse_skill(folder)
    if skill.id in known:
        return None, f"its id {skill.id!r} is already taken by {known[skill.id].path}"
    problems = rule_problems(skill)
    return (None, "; ".join(problems)) if problems else (skill, "")
