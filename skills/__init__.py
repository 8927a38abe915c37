"""EffiSkill: a library of slow-to-fast optimization skills.

A skill is a folder with a ``SKILL.md`` (YAML front matter and Markdown sections) and,
for operator skills, optional runnable files: ``before.py``/``after.py`` (the example),
``rule.py`` (an executable libcst rewrite) and ``counter.py`` (where the rule must not
apply). The format lives in :mod:`polca.skills.model`, the index in
:mod:`polca.skills.registry`, rule application in :mod:`polca.skills.rules`, and example
driving and measurement in :mod:`polca.skills.examples`. See docs/skills.md.
"""

from polca.skills.model import (
    DEFAULT_LIBRARY,
    Measured,
    Skill,
    SkillFormatError,
    load_library,
    parse_skill,
    validate_skill_dir,
)
from polca.skills.registry import SkillRegistry, UnknownSkillError, build_registry

__all__ = [
    "DEFAULT_LIBRARY",
    "Measured",
    "Skill",
    "SkillFormatError",
    "SkillRegistry",
    "UnknownSkillError",
    "build_registry",
    "load_library",
    "parse_skill",
    "validate_skill_dir",
]
