"""Executable skills: load a skill's ``rule.py`` and apply it to source code.

A ``rule.py`` defines ``rewrite(module: libcst.Module) -> libcst.Module``, or
``rewrite(module, observed)`` to also receive the runtime types the oracle observed for
each function's parameters (``{"solve": {"items": "list[int]"}}``, keyed as
:func:`polca.skills.analysis.facts.qualified_functions` names them; empty when nothing
was observed). Its docstring lists the preconditions it proves, from the code and those
facts (:func:`polca.skills.analysis.facts.function_facts`), before it rewrites anything;
where it cannot prove them it returns the module unchanged. Rules must be pure functions
of the tree: no I/O, no global state. Helpers for rule authors live in
:mod:`polca.skills.cst_tools` and :mod:`polca.skills.analysis.facts`.

Applying a rule never raises for the program it is given: source that does not parse, or
a rule that fails on it, gives a :class:`RewriteOutcome` with ``changed=False`` and the
reason in ``error`` (a candidate's failure is data).
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

import libcst as cst

from polca.skills.model import Skill

log = logging.getLogger(__name__)

Observed = Mapping[str, Mapping[str, str]]
"""Runtime types of parameters: qualified function name -> parameter -> type description."""
Rewrite = Callable[[cst.Module, Observed], cst.Module]
_cache: dict[str, Rewrite] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class RewriteOutcome:
    """What one rule did to one source text. ``code`` equals the input when unchanged."""

    skill_id: str
    changed: bool
    code: str
    error: str = ""


def _import_rule(skill: Skill) -> ModuleType:
    path = skill.rule_path
    if path is None:
        raise ValueError(f"skill {skill.id!r} has no rule.py; check skill.has_rule before loading")
    name = "polca_skill_rule_" + skill.id.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the rule of skill {skill.id!r} from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_rule(skill: Skill) -> Rewrite:
    """The ``rewrite`` function of ``skill``'s rule.py (imported once, then cached), always
    callable as ``rewrite(module, observed)`` whichever form the rule defines."""
    key = str(skill.rule_path)
    with _lock:
        if key in _cache:
            return _cache[key]
    module = _import_rule(skill)
    rewrite = getattr(module, "rewrite", None)
    if not callable(rewrite):
        raise TypeError(
            f"{skill.rule_path} must define rewrite(module: libcst.Module) -> libcst.Module"
        )
    if not _takes_observed(rewrite):
        plain = rewrite

        def rewrite(module: cst.Module, observed: Observed) -> cst.Module:
            return plain(module)
    with _lock:
        _cache[key] = rewrite
    return rewrite


def _takes_observed(rewrite: Callable) -> bool:
    try:
        return len(inspect.signature(rewrite).parameters) >= 2
    except (TypeError, ValueError):
        return False


def apply_rule(skill: Skill, source: str, observed: Observed | None = None) -> RewriteOutcome:
    """Apply ``skill``'s rule to ``source``; unchanged (byte-identical) when it does not apply.
    ``observed``: the parameters' runtime types, for rules that read them."""
    rewrite = load_rule(skill)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return RewriteOutcome(skill.id, False, source, f"source does not parse: {exc}")
    try:
        result = rewrite(module, observed or {})
    except Exception as exc:  # a faulty rule must not take the caller down
        log.warning("rule of skill %s failed: %s", skill.id, exc, exc_info=True)
        return RewriteOutcome(skill.id, False, source, f"rule failed: {type(exc).__name__}: {exc}")
    if not isinstance(result, cst.Module):
        message = f"rule returned {type(result).__name__}, not a libcst.Module"
        return RewriteOutcome(skill.id, False, source, message)
    code = result.code
    return RewriteOutcome(skill.id, code != source, code)


def apply_rules(skills: list[Skill], source: str,
                observed: Observed | None = None) -> tuple[str, list[RewriteOutcome]]:
    """Apply every rule in ``skills`` in order, each to the previous one's output."""
    outcomes = []
    for skill in skills:
        if not skill.has_rule:
            continue
        outcome = apply_rule(skill, source, observed)
        outcomes.append(outcome)
        source = outcome.code
    return source, outcomes
