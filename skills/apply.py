"""Stage II: apply the skill library to an unseen program, with or without a model.

    result = apply_skills(open("slow.py").read(), k=8)
    result.best.code, result.best.skills, result.diagnosis.summary()

Steps: **diagnose** (:mod:`polca.skills.diagnosis`; with a model, the Diagnose meta skill
adds its reading), **retrieve** (:mod:`polca.skills.retrieval`; with a model, the
Retrieve meta skill picks at most ``max_skills``), **plan** (conservative: the one best
skill; balanced: the best three; aggressive: every retrieved skill), **generate**
(offline, rules applied directly, every subset of the applicable rules in the order
all-together, singles, pairs, ...; with a model, the Strategize meta skill's prompt
carrying the plan's skills, Steps and examples included), and a **static filter** (the
candidate parses and keeps every public function and class with its signature).
Nothing is executed here: verification belongs to the caller (the sandbox, POLCA, or
the OPT@k benchmark).
"""

from __future__ import annotations

import ast
import itertools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

from polca.parsing import parse_python
from polca.skills.diagnosis import Diagnosis, diagnose, diagnose_with_model
from polca.skills.registry import SkillRegistry, build_registry
from polca.skills.retrieval import Retrieved, SkillRetriever, TextEmbedder, retrieve_with_model
from polca.skills.rules import apply_rules

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)
T = TypeVar("T")

PlanName = Literal["conservative", "balanced", "aggressive"]
STRATEGIZE_SKILL = "strategize-plan"
_CODE = re.compile(r"CODE:\s*```[\w+-]*\n(.*?)```", re.DOTALL)
_ANY_FENCE = re.compile(r"```(?:python|py)?\n(.*?)```", re.DOTALL)
_OPEN_FENCE = re.compile(r"```(?:python|py)?\n(.*)\Z", re.DOTALL)  # cut off at max_tokens


@dataclass(frozen=True)
class Plan:
    """A named set of skills to apply together, best first."""

    name: PlanName
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Rewrite:
    """One candidate program. ``via`` is ``rule`` (offline) or ``model``.

    A model answer that gave no program (no code block, or a failed call) is a Rewrite with
    empty ``code`` and the reason in ``note``; the filter rejects it with that reason, so
    every answer is either a candidate or a counted rejection.
    """

    code: str
    skills: tuple[str, ...]
    plan: PlanName
    via: Literal["rule", "model"]
    note: str = ""


@dataclass(frozen=True)
class ApplyResult:
    """Everything Stage II produced for one program; ``candidates`` passed the static filter."""

    diagnosis: Diagnosis
    retrieved: tuple[Retrieved, ...]
    plans: tuple[Plan, ...]
    candidates: tuple[Rewrite, ...]
    rejected: tuple[tuple[Rewrite, str], ...] = ()

    @property
    def best(self) -> Rewrite | None:
        """The first candidate (the generators put their most complete plan first)."""
        return self.candidates[0] if self.candidates else None


def rule_subsets(count: int) -> list[tuple[int, ...]]:
    """Index subsets of ``count`` rules: all together, then singles, pairs, and so on."""
    if count <= 0:
        return []
    subsets = [tuple(range(count))]
    for size in range(1, count):
        subsets.extend(itertools.combinations(range(count), size))
    return subsets


def make_plans(retrieved: Sequence[Retrieved]) -> list[Plan]:
    """Conservative, balanced and aggressive plans; applicable rules lead each one."""
    ordered = sorted(retrieved, key=lambda r: (not r.applicable, -r.score, r.skill.id))
    ids = tuple(r.skill.id for r in ordered)
    if not ids:
        return []
    return [Plan("conservative", ids[:1]), Plan("balanced", ids[:3]), Plan("aggressive", ids)]


def _signatures(source: str) -> dict[str, str]:
    tree = parse_python(source)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            found[node.name] = ast.unparse(node.args)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found[node.name] = "class"
    return found


def static_filter(original: str, candidate: str) -> str:
    """Why ``candidate`` cannot replace ``original`` without running it; "" when it can."""
    try:
        parse_python(candidate)
    except SyntaxError as exc:
        return f"does not parse: {exc.msg} (line {exc.lineno})"
    try:
        before = _signatures(original)
    except SyntaxError:
        return ""
    after = _signatures(candidate)
    lost = sorted(name for name in before if name not in after)
    if lost:
        return f"drops public name(s) {lost}"
    changed = sorted(name for name in before if after[name] != before[name])
    return f"changes the signature of {changed}" if changed else ""


def generate_offline(source: str, retrieved: Sequence[Retrieved], k: int) -> list[Rewrite]:
    """Up to ``k`` distinct rewrites by subsets of the applicable rules."""
    rules = [r.skill for r in retrieved if r.applicable]
    out: list[Rewrite] = []
    seen = {source}
    for subset in rule_subsets(len(rules)):
        if len(out) >= k:
            break
        code, outcomes = apply_rules([rules[i] for i in subset], source)
        used = tuple(o.skill_id for o in outcomes if o.changed)
        if used and code not in seen:
            seen.add(code)
            plan: PlanName = "conservative" if len(subset) == 1 else (
                "aggressive" if len(subset) == len(rules) else "balanced")
            out.append(Rewrite(code, used, plan, "rule", "rules applied: " + ", ".join(used)))
    return out


def _skills_text(registry: SkillRegistry, ids: Sequence[str]) -> str:
    parts = []
    for skill_id in ids:
        skill = registry.get(skill_id)
        body = "\n\n".join(f"### {title}\n{text}" for title, text in skill.sections)
        parts.append(f"## Skill {skill.id}: {skill.name}\n{skill.description}\n\n{body}")
    return "\n\n".join(parts)


def parse_code_answer(text: str) -> str | None:
    """The program in a Strategize answer (``CODE:`` then a fenced block; else the first
    fenced block, or a fence left open at the end), or None."""
    match = _CODE.search(text) or _ANY_FENCE.search(text) or _OPEN_FENCE.search(text)
    if not match or not match.group(1).strip():
        return None
    return match.group(1).strip("\n") + "\n"


def generate_with_model(source: str, diagnosis: Diagnosis, plans: Sequence[Plan], registry: SkillRegistry,
                        llm: LLMClient, *, k: int, model: str | None = None) -> list[Rewrite]:
    """Up to ``k`` rewrites from the Strategize meta skill, cycling through ``plans``."""
    from polca.llm import LLMError, LLMUnavailable

    meta = registry.get(STRATEGIZE_SKILL)
    out: list[Rewrite] = []
    for index in range(k):
        plan = plans[index % len(plans)]
        prompt = meta.render_prompt(program=source, diagnosis=diagnosis.model_reading or diagnosis.summary(),
                                    skills=_skills_text(registry, plan.skills))
        try:
            answer = llm.complete(prompt, purpose="skills-strategize", model=model, sample=index).text
        except LLMUnavailable:
            raise
        except LLMError as exc:
            log.info("Strategize call %d failed: %s", index, exc)
            out.append(Rewrite("", plan.skills, plan.name, "model", f"model call failed: {exc}"))
            continue
        code = parse_code_answer(answer)
        if code is None:
            log.info("Strategize answer %d held no CODE block", index)
            out.append(Rewrite("", plan.skills, plan.name, "model", "no code block in the answer"))
            continue
        out.append(Rewrite(code, plan.skills, plan.name, "model", answer.split("CODE:")[0].strip()[:2000]))
    return out


def apply_skills(source: str, *, registry: SkillRegistry | None = None, llm: LLMClient | None = None,
                 model: str | None = None, k: int = 8, max_skills: int = 6,
                 embedder: TextEmbedder | None = None) -> ApplyResult:
    """Diagnose, retrieve, plan, generate and filter up to ``k`` candidates for ``source``."""
    if k < 1 or max_skills < 1:
        raise ValueError(f"k = {k} and max_skills = {max_skills} must both be at least 1 (defaults 8 and 6)")
    registry = registry or build_registry()
    diagnosis = diagnose(source, registry)
    if llm is not None:
        diagnosis = _or_keep(diagnosis, lambda: diagnose_with_model(source, registry, llm, model=model))
    retrieved = SkillRetriever(registry, embedder=embedder).retrieve(source, diagnosis, limit=max_skills)
    if llm is not None and retrieved:
        retrieved = _or_keep(retrieved, lambda: retrieve_with_model(
            registry, diagnosis, retrieved, llm, model=model, max_skills=max_skills))
    plans = make_plans(retrieved)
    rewrites = generate_offline(source, retrieved, k)
    if llm is not None and plans:
        slots = max(k - len(rewrites), k // 2)
        rewrites = rewrites[: k - slots] + generate_with_model(source, diagnosis, plans, registry, llm,
                                                               k=slots, model=model)
    return _filtered(source, diagnosis, retrieved, plans, rewrites)


def _or_keep(current: T, step: Callable[[], T]) -> T:
    """``step()``, or ``current`` when its model call fails (a prompt too long for the
    model's context, a server error): the model's reading is an extra, not a need."""
    from polca.llm import LLMError, LLMUnavailable

    try:
        return step()
    except LLMUnavailable:
        raise
    except LLMError as exc:
        log.info("a Stage II model call failed, going on without it: %s", exc)
        return current


def _filtered(source: str, diagnosis: Diagnosis, retrieved: Sequence[Retrieved], plans: Sequence[Plan],
              rewrites: Sequence[Rewrite]) -> ApplyResult:
    kept: list[Rewrite] = []
    rejected: list[tuple[Rewrite, str]] = []
    seen = {source}
    for rewrite in rewrites:
        reason = _rejection(source, rewrite, seen)
        if reason:
            rejected.append((rewrite, reason))
        else:
            seen.add(rewrite.code)
            kept.append(rewrite)
    return ApplyResult(diagnosis, tuple(retrieved), tuple(plans), tuple(kept), tuple(rejected))


def _rejection(source: str, rewrite: Rewrite, seen: set[str]) -> str:
    if not rewrite.code.strip():
        return rewrite.note or "no code"
    if rewrite.code.strip() == source.strip():
        return "same as the original (the answer repeats the program)"
    return static_filter(source, rewrite.code) or ("same as another candidate" if rewrite.code in seen else "")
