"""Write mined skills as SKILL.md folders that :func:`polca.skills.model.load_library` loads.

Both miners produce a :class:`SkillDraft`; :func:`write_skill` renders it to
``<out>/<id>/SKILL.md`` (plus ``before.py``/``after.py``/``rule.py``/``counter.py`` when
the draft carries them), then parses the folder back so a draft that breaks the format
fails here, with every problem listed, rather than when the library is next loaded.
Mined skills go to ``.polca/skills/`` by default, never into the built-in library.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from polca.skills.model import (
    DEFAULT_LIBRARY,
    OPERATOR_SECTIONS,
    Skill,
    SkillFormatError,
    parse_skill,
)
from polca.skills.pairs import Pair

log = logging.getLogger(__name__)

DEFAULT_MINED_DIR = Path(".polca") / "skills"


@dataclass(frozen=True)
class SkillDraft:
    """Everything a skill folder holds; ``sections`` maps each operator section to its text."""

    id: str
    family: str
    name: str
    description: str
    tags: tuple[str, ...]
    triggers: tuple[str, ...]
    sections: Mapping[str, str]
    files: Mapping[str, str] = field(default_factory=dict)
    language: str = "python"


def slug(text: str, max_words: int = 8) -> str:
    """A kebab-case id fragment from free text."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:max_words]
    return "-".join(words) or "skill"


def render_skill_md(draft: SkillDraft) -> str:
    """The SKILL.md text of ``draft`` (front matter, then the sections in format order)."""
    missing = [title for title in OPERATOR_SECTIONS if not str(draft.sections.get(title, "")).strip()]
    if missing:
        raise ValueError(f"skill draft {draft.id!r} has no text for sections {missing}; fill every section")
    meta = {
        "id": draft.id,
        "type": "operator",
        "language": draft.language,
        "family": draft.family,
        "name": draft.name,
        "description": draft.description,
        "tags": list(draft.tags),
        "triggers": list(draft.triggers),
    }
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    body = "\n\n".join(f"## {title}\n{draft.sections[title].strip()}" for title in OPERATOR_SECTIONS)
    return f"---\n{front}---\n\n{body}\n"


def example_harness(pair: Pair, source: str) -> str:
    """``source`` as a skill example: ``solve``/``make_input`` (or ``main``/``make_stdin``) over the pair's inputs."""
    if pair.is_script:
        return (f"_PROGRAM = {source!r}\n_STDINS = {list(pair.all_inputs())!r}\nBENCH_SIZE = 1\n\n\n"
                "def make_stdin(size, rng):\n    return _STDINS[rng.randrange(len(_STDINS))]\n\n\n"
                "def main():\n    exec(compile(_PROGRAM, '<program>', 'exec'), {'__name__': '__main__'})\n")
    extra = f"\n\ndef solve(*args, **kwargs):\n    return {pair.entry}(*args, **kwargs)\n" if pair.entry != "solve" else ""
    return (f"{source.rstrip()}\n{extra}\n\nBENCH_SIZE = 1\n_INPUTS = {list(pair.all_inputs())!r}\n\n\n"
            "def make_input(size, rng):\n    return tuple(_INPUTS[rng.randrange(len(_INPUTS))]), {}\n")


def write_skill(draft: SkillDraft, out_dir: Path | str = DEFAULT_MINED_DIR, *, overwrite: bool = False) -> Skill:
    """Write ``draft`` under ``out_dir`` and return it parsed back."""
    out_dir = Path(out_dir)
    if out_dir.resolve() == DEFAULT_LIBRARY.resolve() or DEFAULT_LIBRARY.resolve() in out_dir.resolve().parents:
        log.warning("writing mined skill %s into the built-in library at %s", draft.id, out_dir)
    folder = out_dir / draft.id
    if folder.exists():
        if not overwrite:
            raise ValueError(f"skill folder {str(folder)!r} already exists; pass overwrite=True or another out dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(render_skill_md(draft), encoding="utf-8")
    for name, text in draft.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    try:
        return parse_skill(folder)
    except SkillFormatError:
        shutil.rmtree(folder)
        raise
