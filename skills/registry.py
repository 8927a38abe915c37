"""The skill registry: an index of front matter built from the skill folders.

Never written by hand: :func:`build_registry` reads the folders each time, so the index
cannot drift from the library. Stage II retrieval and the ``polca skills`` command look
skills up here by id, family, tag or trigger.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from polca.skills.model import DEFAULT_LIBRARY, Skill, load_library


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
