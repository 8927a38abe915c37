"""The LLM miner (EffiSkill Stage I): audit traces, skill extraction, near-duplicate merge.

Per pair, the model writes an **audit trace** (constraints, dominant operations,
complexity before and after, the bottleneck, what changed, triggers). From each trace
it **extracts** one operator skill (name, family, description, tags, trigger regexes and
the SKILL.md sections). Skills that say the same thing are **merged**: their texts are
embedded (the model's embeddings with ``embedding_model``, else an offline bag-of-words
vector) and greedily clustered by cosine similarity at ``merge_threshold``; a cluster
keeps its first skill, with the triggers and tags of all and every source pair named.
Each merged skill becomes a SKILL.md folder with the first source pair as its runnable
before/after example (:mod:`polca.skills.skill_writer`).

A malformed answer drops that pair or skill (logged and counted in the report); only
``LLMUnavailable`` propagates.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from polca.skills.diagnosis import parse_json_answer
from polca.skills.model import OPERATOR_FAMILIES, OPERATOR_SECTIONS, Skill
from polca.skills.pairs import Pair
from polca.skills.retrieval import tokens
from polca.skills.skill_writer import (
    DEFAULT_MINED_DIR,
    SkillDraft,
    example_harness,
    slug,
    write_skill,
)

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)

AUDIT_PROMPT = """You audit a pair of Python programs that solve the same problem: a slow one \
and a faster one with the same behaviour. Explain where the speed comes from.

Problem: {problem}

Slow program:
```python
{slow}
```

Fast program:
```python
{fast}
```

Answer with JSON only:
{{"constraints": ["facts the rewrite relies on: hashability, no mutation, ordering..."],
"dominant_operations": ["the operations that dominate the slow program's time"],
"complexity_before": "O(...)", "complexity_after": "O(...)",
"bottleneck": "one sentence", "what_changed": "one sentence",
"triggers": ["Python regular expressions matching the slow code shape"]}}"""

EXTRACT_PROMPT = """From this audit trace of a slow-to-fast rewrite, write one reusable \
optimization skill that would let someone apply the same transformation to other programs.

Audit trace:
```json
{trace}
```

Example rewrite:
```python
# slow
{slow}
# fast
{fast}
```

Answer with JSON only:
{{"name": "short imperative title", "family": "one of {families}",
"description": "one or two sentences", "tags": ["..."],
"triggers": ["Python regular expressions matching code where it applies; no repeated groups"],
"when_to_use": "...", "steps": "numbered steps", "complexity": "before and after",
"pitfalls": "...", "when_not_to_use": "..."}}"""

_SECTION_KEYS = dict(zip(OPERATOR_SECTIONS[:-1], ("when_to_use", "steps", "complexity", "pitfalls",
                                                  "when_not_to_use"), strict=True))
_REPEATED_GROUP = re.compile(r"(?<!\\)\)[*+{]")


@dataclass(frozen=True)
class AuditTrace:
    """What the model found in one pair."""

    pair_id: str
    constraints: tuple[str, ...]
    dominant_operations: tuple[str, ...]
    complexity_before: str
    complexity_after: str
    bottleneck: str
    what_changed: str
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class ProposedSkill:
    """A skill extracted from one trace (or merged from several); ``sources`` are pair ids."""

    name: str
    family: str
    description: str
    tags: tuple[str, ...]
    triggers: tuple[str, ...]
    sections: dict[str, str]
    sources: tuple[str, ...]

    def text(self) -> str:
        return f"{self.name}. {self.description} {self.sections.get('When to use', '')}"


@dataclass(frozen=True)
class LLMMiningReport:
    traces: tuple[AuditTrace, ...]
    proposed: tuple[ProposedSkill, ...]
    merged: tuple[ProposedSkill, ...]
    skills: tuple[Skill, ...]
    failures: tuple[str, ...] = field(default_factory=tuple)


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value if str(v).strip()) if isinstance(value, list) else ()


def _good_triggers(patterns: Sequence[str]) -> tuple[str, ...]:
    kept = []
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error:
            continue
        if not _REPEATED_GROUP.search(pattern):
            kept.append(pattern)
    return tuple(dict.fromkeys(kept))


def _ask_json(llm: LLMClient, prompt: str, purpose: str, model: str | None) -> dict | None:
    from polca.llm import LLMError, LLMUnavailable

    try:
        return parse_json_answer(llm.complete(prompt, purpose=purpose, model=model).text)
    except LLMUnavailable:
        raise
    except LLMError as exc:
        log.info("%s call failed: %s", purpose, exc)
        return None


def audit_pair(pair: Pair, llm: LLMClient, *, model: str | None = None) -> AuditTrace | None:
    """The model's audit trace of ``pair``, or None when the answer is unusable."""
    prompt = AUDIT_PROMPT.format(problem=pair.problem or pair.id, slow=pair.slow, fast=pair.fast)
    answer = _ask_json(llm, prompt, "skills-audit", model)
    if not answer or not str(answer.get("what_changed", "")).strip():
        return None
    return AuditTrace(
        pair_id=pair.id,
        constraints=_strings(answer.get("constraints")),
        dominant_operations=_strings(answer.get("dominant_operations")),
        complexity_before=str(answer.get("complexity_before", "")),
        complexity_after=str(answer.get("complexity_after", "")),
        bottleneck=str(answer.get("bottleneck", "")),
        what_changed=str(answer["what_changed"]),
        triggers=_good_triggers(_strings(answer.get("triggers"))),
    )


def extract_skill(trace: AuditTrace, pair: Pair, llm: LLMClient, *, model: str | None = None) -> ProposedSkill | None:
    """One skill from one trace, or None when the answer lacks a name or a section."""
    prompt = EXTRACT_PROMPT.format(trace=json.dumps(trace.__dict__), slow=pair.slow, fast=pair.fast,
                                   families=", ".join(OPERATOR_FAMILIES))
    answer = _ask_json(llm, prompt, "skills-extract", model)
    if not answer or not str(answer.get("name", "")).strip():
        return None
    sections = {title: str(answer.get(key, "")).strip() for title, key in _SECTION_KEYS.items()}
    if not all(sections.values()):
        return None
    family = str(answer.get("family", ""))
    triggers = _good_triggers(_strings(answer.get("triggers"))) or trace.triggers
    return ProposedSkill(
        name=str(answer["name"]).strip(),
        family=family if family in OPERATOR_FAMILIES else "constant-factors",
        description=str(answer.get("description") or trace.what_changed).strip(),
        tags=_strings(answer.get("tags")),
        triggers=triggers,
        sections=sections,
        sources=(pair.id,),
    )


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """Offline unit vectors: term counts over the texts' shared vocabulary."""
    counts = [Counter(tokens(t)) for t in texts]
    vocabulary = sorted(set().union(*counts)) if counts else []
    index = {w: i for i, w in enumerate(vocabulary)}
    matrix = np.zeros((len(texts), max(1, len(vocabulary))))
    for row, count in enumerate(counts):
        for word, n in count.items():
            matrix[row, index[word]] = n
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _merge_into(first: ProposedSkill, other: ProposedSkill) -> ProposedSkill:
    return replace(
        first,
        tags=tuple(dict.fromkeys(first.tags + other.tags)),
        triggers=tuple(dict.fromkeys(first.triggers + other.triggers)),
        sources=first.sources + other.sources,
    )


def merge_near_duplicates(proposed: Sequence[ProposedSkill], vectors: np.ndarray, *,
                          threshold: float = 0.85) -> list[ProposedSkill]:
    """Greedy clustering: a skill joins the first kept skill within cosine ``threshold``."""
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"merge threshold {threshold} is a cosine similarity; use a value in [-1, 1]")
    kept: list[ProposedSkill] = []
    centres: list[np.ndarray] = []
    for skill, vector in zip(proposed, vectors, strict=True):
        similar = [i for i, c in enumerate(centres) if float(c @ vector) >= threshold]
        if similar:
            kept[similar[0]] = _merge_into(kept[similar[0]], skill)
        else:
            kept.append(skill)
            centres.append(vector)
    return kept


def _embed(proposed: Sequence[ProposedSkill], llm: LLMClient, model: str | None) -> np.ndarray:
    texts = [p.text() for p in proposed]
    if model is None:
        return bag_of_words(texts)
    matrix = np.asarray(llm.embed(texts, model=model, purpose="skills-merge"), dtype=float)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def draft_from(skill: ProposedSkill, example: Pair, taken: set[str]) -> SkillDraft:
    """A skill folder for a merged skill; its id is unique among ``taken`` (updated)."""
    base = "mined-" + slug(skill.name, max_words=6)
    skill_id, n = base, 2
    while skill_id in taken:
        skill_id, n = f"{base}-{n}", n + 1
    taken.add(skill_id)
    sections = dict(skill.sections)
    sections["Before-After example"] = f"```python\n# before\n{example.slow.strip()}\n\n# after\n{example.fast.strip()}\n```"
    sections["When to use"] += f"\n\nMined from pairs: {', '.join(skill.sources)}."
    files = {"before.py": example_harness(example, example.slow), "after.py": example_harness(example, example.fast)}
    return SkillDraft(id=skill_id, family=skill.family, name=skill.name, description=skill.description,
                      tags=tuple(dict.fromkeys(("mined", "llm-miner", *skill.tags))),
                      triggers=skill.triggers or (re.escape(skill.name.split()[0].lower()),),
                      sections=sections, files=files)


def mine_with_llm(pairs: Sequence[Pair], llm: LLMClient, out_dir: Path | str = DEFAULT_MINED_DIR, *,
                  model: str | None = None, embedding_model: str | None = None, merge_threshold: float = 0.85,
                  overwrite: bool = False) -> LLMMiningReport:
    """Audit every pair, extract skills, merge near-duplicates, write skill folders."""
    by_id = {p.id: p for p in pairs}
    traces, proposed, failures = [], [], []
    for pair in pairs:
        trace = audit_pair(pair, llm, model=model)
        if trace is None:
            failures.append(f"{pair.id}: unusable audit trace")
            continue
        traces.append(trace)
        skill = extract_skill(trace, pair, llm, model=model)
        if skill is None:
            failures.append(f"{pair.id}: unusable skill extraction")
            continue
        proposed.append(skill)
    merged = merge_near_duplicates(proposed, _embed(proposed, llm, embedding_model),
                                   threshold=merge_threshold) if proposed else []
    taken: set[str] = set()
    skills = [write_skill(draft_from(s, by_id[s.sources[0]], taken), out_dir, overwrite=overwrite) for s in merged]
    log.info("LLM miner: %d pairs, %d traces, %d skills proposed, %d after merging",
             len(pairs), len(traces), len(proposed), len(merged))
    return LLMMiningReport(tuple(traces), tuple(proposed), tuple(merged), tuple(skills), tuple(failures))

