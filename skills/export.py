"""Export skills as plain agent-skill folders that any coding agent can load.

The agent-skills layout is one folder per skill holding a ``SKILL.md`` whose front matter
has only ``name`` (lowercase, hyphens, at most 64 characters) and ``description`` (what
it does and when to use it, at most 1024 characters), then Markdown instructions; other
files in the folder are resources the instructions may point to. polca's richer front
matter (family, tags, triggers) moves into the body, and the runnable files
(``before.py``, ``after.py``, ``rule.py``, ``counter.py``) are copied beside it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml

from polca.skills.model import Skill

log = logging.getLogger(__name__)

ExportFormat = Literal["agent-skills"]
EXPORT_FORMATS: tuple[str, ...] = ("agent-skills",)
MAX_NAME_CHARS = 64
MAX_DESCRIPTION_CHARS = 1024
_RESOURCES = ("before.py", "after.py", "rule.py", "counter.py")


def agent_description(skill: Skill) -> str:
    """What the skill does and when to use it, within the format's length limit."""
    text = skill.description
    if skill.type == "operator" and any(title == "When to use" for title, _ in skill.sections):
        text = f"{text} Use when: {' '.join(skill.section('When to use').split())}"
    if len(text) > MAX_DESCRIPTION_CHARS:
        text = text[: MAX_DESCRIPTION_CHARS - 3].rstrip() + "..."
    return text


def agent_skill_md(skill: Skill, resources: Iterable[str]) -> str:
    """The SKILL.md text of one exported skill."""
    front = yaml.safe_dump({"name": skill.id[:MAX_NAME_CHARS], "description": agent_description(skill)},
                           sort_keys=False, allow_unicode=True, width=100)
    facts = [f"- type: {skill.type}", f"- family: {skill.family}", f"- language: {skill.language}"]
    if skill.tags:
        facts.append(f"- tags: {', '.join(skill.tags)}")
    facts += [f"- trigger (regex over source): `{t}`" for t in skill.triggers]
    files = list(resources)
    if files:
        facts.append(f"- files: {', '.join(files)}" + (" (rule.py is an executable libcst rewrite)" if "rule.py" in files else ""))
    body = "\n\n".join(f"## {title}\n{text}" for title, text in skill.sections)
    return f"---\n{front}---\n\n# {skill.name}\n\n" + "\n".join(facts) + f"\n\n{body}\n"


def export_skills(skills: Iterable[Skill], out_dir: Path | str, *, fmt: ExportFormat = "agent-skills",
                  overwrite: bool = False) -> list[Path]:
    """Write one folder per skill under ``out_dir``; returns the folders written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"export format {fmt!r} is unknown; use one of {', '.join(EXPORT_FORMATS)}")
    out_dir = Path(out_dir)
    written = []
    for skill in skills:
        folder = out_dir / skill.id[:MAX_NAME_CHARS]
        if folder.exists() and not overwrite:
            raise ValueError(f"{str(folder)!r} already exists; pass overwrite=True (--force) or another directory")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        resources = [name for name in _RESOURCES if skill.path is not None and (skill.path / name).is_file()]
        for name in resources:
            shutil.copyfile(skill.path / name, folder / name)
        (folder / "SKILL.md").write_text(agent_skill_md(skill, resources), encoding="utf-8")
        written.append(folder)
    log.info("exported %d skills to %s", len(written), out_dir)
    return written
