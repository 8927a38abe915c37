"""Stage II, step 1: execution-free diagnosis of a Python program.

Static analysis only (nothing is run): per function, the deepest loop nesting and an
estimated complexity (``O(n^d)``, one more power of n when a linear-time operation such
as ``x in list`` or ``list.pop(0)`` sits in the innermost loop), and the known
anti-patterns found with their lines. With a model, the Diagnose meta skill adds its own
reading (:func:`diagnose_with_model`); the static findings never depend on it.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from polca.parsing import parse_python
from polca.skills.registry import SkillRegistry

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)

DIAGNOSE_SKILL = "diagnose-bottleneck"


@dataclass(frozen=True)
class Finding:
    """One anti-pattern at one line; ``linear`` when it costs O(n) per execution."""

    line: int
    kind: str
    detail: str
    in_loop: bool
    linear: bool = False


@dataclass(frozen=True)
class FunctionDiagnosis:
    """A function (or ``<module>``): loop depth, estimated complexity, findings."""

    name: str
    line: int
    loop_depth: int
    complexity: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Diagnosis:
    """What the static pass (and, optionally, a model) found in one program."""

    functions: tuple[FunctionDiagnosis, ...]
    triggered: tuple[tuple[str, int], ...] = ()  # (skill id, trigger matches)
    model_reading: str = ""  # the Diagnose meta skill's JSON answer, when a model was asked
    error: str = ""  # set when the program does not parse

    @property
    def findings(self) -> list[Finding]:
        return [f for fn in self.functions for f in fn.findings]

    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))

    def to_dict(self) -> dict:
        return {
            "functions": [
                {"name": fn.name, "line": fn.line, "loop_depth": fn.loop_depth, "complexity": fn.complexity,
                 "findings": [f.__dict__ for f in fn.findings]}
                for fn in self.functions
            ],
            "triggered": [list(t) for t in self.triggered],
            "model_reading": self.model_reading,
            "error": self.error,
        }

    def summary(self) -> str:
        """A few lines for people and prompts."""
        if self.error:
            return f"could not analyse: {self.error}"
        lines = []
        for fn in self.functions:
            found = "; ".join(f"line {f.line}: {f.kind} ({f.detail})" for f in fn.findings) or "no known anti-pattern"
            lines.append(f"{fn.name} (line {fn.line}): loops nested {fn.loop_depth} deep, about {fn.complexity}; {found}")
        return "\n".join(lines)


_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.comprehension)


def _callee_name(func: ast.AST) -> str:
    """The last name of a callee or decorator: ``f``, ``mod.f`` and ``mod.f(...)`` give ``f``; others ``""``."""
    if isinstance(func, ast.Call):
        return _callee_name(func.func)
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _call_name(node: ast.Call) -> str:
    return _callee_name(node.func)


def _finding(node: ast.AST, in_loop: bool) -> Finding | None:
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
        right = node.comparators[-1]
        if isinstance(right, ast.Call) and _call_name(right) in {"list", "keys", "sorted", "tuple"}:
            return Finding(line, "membership-in-copy", f"`{ast.unparse(node)}` copies before testing", in_loop, True)
        if in_loop and isinstance(right, ast.Name | ast.List | ast.Attribute):
            return Finding(line, "membership-test-in-loop", f"`{ast.unparse(node)}` (linear if a list)", in_loop, True)
    if isinstance(node, ast.Call):
        return _call_finding(node, line, in_loop)
    if isinstance(node, ast.Assign) and in_loop and isinstance(node.value, ast.BinOp):
        target = node.targets[0]
        left = node.value.left
        if isinstance(target, ast.Name) and isinstance(left, ast.Name) and left.id == target.id:
            if isinstance(node.value.right, ast.List):
                return Finding(line, "list-concat-in-loop", f"`{ast.unparse(node)}` copies the list", in_loop, True)
    if isinstance(node, ast.AugAssign) and in_loop and isinstance(node.op, ast.Add) and _stringy(node.value):
        return Finding(line, "string-concat-in-loop", f"`{ast.unparse(node)}` may copy the string", in_loop, True)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call) and _call_name(node.value) == "sorted" \
            and not isinstance(node.slice, ast.Slice):
        return Finding(line, "sort-for-min-max", f"`{ast.unparse(node)}` sorts to take one element", in_loop, True)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript) and isinstance(node.value.slice, ast.Slice):
        if node.value.slice.step is not None:
            return Finding(line, "reverse-copy-for-one-element", f"`{ast.unparse(node)}`", in_loop, True)
    return None


def _stringy(value: ast.AST) -> bool:
    """An expression that evidently makes a str or bytes."""
    if isinstance(value, ast.JoinedStr):
        return True
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str | bytes)
    if isinstance(value, ast.Call):
        return _call_name(value) in {"str", "format", "chr", "pack", "repr"}
    if isinstance(value, ast.BinOp | ast.IfExp):
        parts = (value.left, value.right) if isinstance(value, ast.BinOp) else (value.body, value.orelse)
        return any(_stringy(p) for p in parts)
    return False


_CALL_KINDS = {
    "index": ("linear-search", True),
    "count": ("linear-count", True),
    "insert": ("list-insert", True),
    "input": ("input-per-line", False),
    "print": ("print-per-line", False),
    "deepcopy": ("deepcopy", True),
}


def _call_finding(node: ast.Call, line: int, in_loop: bool) -> Finding | None:
    name = _call_name(node)
    if name == "pop" and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == 0:
        return Finding(line, "pop-front", f"`{ast.unparse(node)}` shifts every element", in_loop, True)
    if name in {"compile", "match", "search", "findall", "sub"} and isinstance(node.func, ast.Attribute) \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and in_loop:
        return Finding(line, "regex-in-loop", f"`{ast.unparse(node.func)}` with a pattern string in a loop", in_loop)
    if name in {"sorted", "sort"} and in_loop:
        return Finding(line, "sort-in-loop", f"`{ast.unparse(node)}` sorts on every iteration", in_loop, True)
    if name in _CALL_KINDS and in_loop:
        kind, linear = _CALL_KINDS[name]
        return Finding(line, kind, f"`{ast.unparse(node)[:60]}` in a loop", in_loop, linear)
    return None


def _walk(node: ast.AST, depth: int) -> Iterator[tuple[ast.AST, int]]:
    """Nodes of one scope with their loop depth; nested functions are left out."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        inner = depth + 1 if isinstance(child, _LOOPS) else depth
        yield child, inner
        yield from _walk(child, inner)


def _recursion(func: ast.FunctionDef) -> Finding | None:
    calls = [n for n in ast.walk(func) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func.name]
    cached = any(_callee_name(d) in {"cache", "lru_cache"} for d in func.decorator_list)
    if len(calls) >= 2 and not cached:
        return Finding(func.lineno, "unmemoized-recursion", f"{func.name} calls itself {len(calls)} times", False)
    return None


def _analyse(scope: ast.AST, name: str, line: int) -> FunctionDiagnosis:
    depth, findings = 0, []
    for node, level in _walk(scope, 0):
        depth = max(depth, level)
        found = _finding(node, level > 0)
        if found is not None:
            findings.append((found, level))
    if isinstance(scope, ast.FunctionDef) and (rec := _recursion(scope)) is not None:
        findings.append((rec, 0))
    power = max([depth] + [level + 1 for f, level in findings if f.linear])
    complexity = "exponential" if any(f.kind == "unmemoized-recursion" for f, _ in findings) else (
        "O(1)" if power == 0 else "O(n)" if power == 1 else f"O(n^{power})")
    ordered = tuple(sorted((f for f, _ in findings), key=lambda f: (f.line, f.kind)))
    return FunctionDiagnosis(name, line, depth, complexity, ordered)


def diagnose(source: str, registry: SkillRegistry | None = None) -> Diagnosis:
    """Static diagnosis of ``source``; a program that does not parse gives ``error``."""
    try:
        tree = parse_python(source)
    except SyntaxError as exc:
        return Diagnosis((), error=f"does not parse: {exc}")
    functions = [_analyse(n, n.name, n.lineno) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    module = _analyse(tree, "<module>", 1)
    if module.findings or module.loop_depth:
        functions.append(module)
    triggered = tuple((s.id, n) for s, n in registry.triggered_by(source)) if registry is not None else ()
    return Diagnosis(tuple(functions), triggered)


_JSON_BLOCK = re.compile(r"\{.*\}", re.DOTALL)


def parse_json_answer(text: str) -> dict | None:
    """The first JSON object in a model's answer (fenced or bare), or None."""
    match = _JSON_BLOCK.search(text)
    if match is None:
        return None
    try:
        value = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def diagnose_with_model(source: str, registry: SkillRegistry, llm: LLMClient, *, model: str | None = None,
                        profile: str = "") -> Diagnosis:
    """The static diagnosis plus the Diagnose meta skill's reading (kept as JSON text)."""
    static = diagnose(source, registry)
    prompt = registry.get(DIAGNOSE_SKILL).render_prompt(program=source, profile=profile or static.summary())
    answer = llm.complete(prompt, purpose="skills-diagnose", model=model).text
    reading = parse_json_answer(answer)
    if reading is None:
        log.info("the Diagnose answer held no JSON object; keeping the static diagnosis only")
        return static
    return replace(static, model_reading=json.dumps(reading, ensure_ascii=False))
