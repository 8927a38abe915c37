"""Stage II, step 2: which skills fit a program.

Three signals, strongest first:

1. **Rule preconditions.** An executable skill whose rule changes the program has proven
   its preconditions on this code; it ranks above everything else.
2. **Triggers.** Each skill's trigger regexes matched against the source (a hint).
3. **Text ranking.** BM25 over each skill's name, description, tags, triggers and When
   to use, queried with the diagnosis (anti-pattern kinds and details) and the program's
   identifiers. With an ``embedder`` (anything with ``embed(texts) -> unit vectors``,
   such as the engine's embedders), cosine similarity replaces BM25.

With a model, :func:`retrieve_with_model` asks the Retrieve meta skill to pick, from the
ranked list, at most ``max_skills`` skills whose mechanism addresses the diagnosis.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from polca.skills.diagnosis import Diagnosis, diagnose, parse_json_answer
from polca.skills.model import Skill
from polca.skills.registry import SkillRegistry
from polca.skills.rules import apply_rule

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)

RETRIEVE_SKILL = "retrieve-skills"
_WORD = re.compile(r"[a-z][a-z0-9]+")


class TextEmbedder(Protocol):
    """Texts to unit vectors, shape (len(texts), dim)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Retrieved:
    """One skill with the signals that ranked it."""

    skill: Skill
    score: float
    applicable: bool  # its rule changes the program
    trigger_hits: int
    text_score: float


def tokens(text: str) -> list[str]:
    """Lower-case words, with snake_case and kebab-case split apart."""
    return _WORD.findall(re.sub(r"[_\-]", " ", text.lower()))


def skill_text(skill: Skill) -> str:
    """The text BM25 and embeddings see for one skill."""
    when = skill.section("When to use") if any(t == "When to use" for t, _ in skill.sections) else ""
    return " ".join([skill.name, skill.description, " ".join(skill.tags), skill.family, when])


class BM25:
    """Okapi BM25 over a fixed list of documents."""

    def __init__(self, documents: Sequence[str], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.docs = [Counter(tokens(d)) for d in documents]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.docs else 0.0
        frequency = Counter(term for d in self.docs for term in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
        self.k1, self.b = k1, b

    def scores(self, query: str) -> list[float]:
        terms = tokens(query)
        out = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            total = 0.0
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * length / (self.avg or 1))
                    total += self.idf[term] * tf * (self.k1 + 1) / norm
            out.append(total)
        return out


def query_text(source: str, diagnosis: Diagnosis) -> str:
    """What the program looks like in words: anti-patterns, their details, its identifiers."""
    findings = " ".join(f"{f.kind} {f.detail}" for f in diagnosis.findings)
    names = " ".join(sorted(set(re.findall(r"[A-Za-z_]\w+", source)))[:400])
    return f"{findings} {findings} {names}"


class SkillRetriever:
    """Ranks a registry's operator skills for a program (see the module docstring)."""

    def __init__(self, registry: SkillRegistry, *, embedder: TextEmbedder | None = None) -> None:
        self.registry = registry
        self.skills = registry.operators()
        texts = [skill_text(s) for s in self.skills]
        self.bm25 = BM25(texts)
        self.embedder = embedder
        self._vectors = embedder.embed(texts) if embedder is not None and texts else None

    def _text_scores(self, query: str) -> list[float]:
        if self.embedder is None or self._vectors is None:
            raw = self.bm25.scores(query)
        else:
            raw = list(self._vectors @ self.embedder.embed([query])[0])
        top = max(raw, default=0.0) or 1.0
        return [max(0.0, r) / top for r in raw]

    def retrieve(self, source: str, diagnosis: Diagnosis | None = None, *, limit: int = 6) -> list[Retrieved]:
        """The ``limit`` best skills for ``source``, best first (ties broken by id)."""
        if limit < 1:
            raise ValueError(f"limit = {limit} must be at least 1")
        diagnosis = diagnosis or diagnose(source, self.registry)
        hits = {s.id: n for s, n in self.registry.triggered_by(source)}
        text = self._text_scores(query_text(source, diagnosis))
        ranked = []
        for skill, text_score in zip(self.skills, text, strict=True):
            applicable = skill.has_rule and apply_rule(skill, source).changed
            count = hits.get(skill.id, 0)
            score = 3.0 * applicable + math.log1p(count) + text_score
            ranked.append(Retrieved(skill, score, applicable, count, text_score))
        ranked.sort(key=lambda r: (-r.score, r.skill.id))
        return ranked[:limit]


def skill_index(retrieved: Sequence[Retrieved]) -> str:
    """The ``id | family | name | description`` lines the Retrieve meta skill reads."""
    return "\n".join(f"{r.skill.id} | {r.skill.family} | {r.skill.name} | {r.skill.description}" for r in retrieved)


def retrieve_with_model(registry: SkillRegistry, diagnosis: Diagnosis, ranked: Sequence[Retrieved],
                        llm: LLMClient, *, model: str | None = None, max_skills: int = 6) -> list[Retrieved]:
    """The Retrieve meta skill's picks among ``ranked``, at most ``max_skills``.

    Unknown ids in the answer are dropped; an answer with no usable pick keeps the
    static ranking (logged), so a confused model never leaves Stage II without skills.
    """
    prompt = registry.get(RETRIEVE_SKILL).render_prompt(
        diagnosis=json.dumps(diagnosis.to_dict(), ensure_ascii=False), skill_index=skill_index(ranked)
    )
    answer = parse_json_answer(llm.complete(prompt, purpose="skills-retrieve", model=model).text) or {}
    by_id = {r.skill.id: r for r in ranked}
    picks = answer.get("picks") if isinstance(answer.get("picks"), list) else []
    ids = [p.get("skill_id") for p in picks if isinstance(p, dict)]
    chosen = [by_id[i] for i in dict.fromkeys(ids) if i in by_id][:max_skills]
    if not chosen:
        log.info("the Retrieve answer picked no known skill; keeping the static ranking")
        return list(ranked[:max_skills])
    return chosen
