"""How strong the oracle of a target is: coverage of the target by its inputs, and a mutation score.

An oracle is only as good as the inputs it runs: a rewrite that breaks a branch no input
takes is "verified" all the same. :func:`oracle_strength` measures two things about the
original target and the search's inputs:

- line and branch coverage of the target function's own lines (:mod:`polca.sandbox.coverage`,
  one sandbox run of the original over every input, apart from any timing);
- a mutation score: small deliberate bugs (:func:`mutants`: off-by-one range and slice
  bounds, flipped comparisons, swapped arithmetic, ``and``/``or``, changed integer
  constants, dropped ``if`` bodies, ``return x`` -> ``return None``), each checked against
  the original with the real differential check. A mutant the inputs tell apart is
  *killed*; one they do not (including an equivalent mutant that behaves the same on
  every input) *survives*. A mutant that runs past its timeout or crashes counts as killed.

When line coverage is weak, :func:`aimed_inputs` first perturbs the inputs that are plain
data and keeps those that run a missed line (a few coverage runs, time-bounded); they are
measured with the others, and the caller checks its candidate on them as well.

Cost per target: one coverage run (and, when coverage is weak, up to :data:`AIM_ROUNDS`
more, a self-check and one more coverage run), then at most ``max_mutants`` (default
:data:`MAX_MUTANTS`) differential runs of all inputs, each bounded by a timeout of a few
times the coverage run's wall time (at most the sandbox's own limit). Nothing is measured
for a script target or a target without inputs.

The label is "verified" when line coverage reaches :data:`WEAK_LINE_COVERAGE` and the
mutation score :data:`WEAK_MUTATION_SCORE`, "weakly verified" below either; "" when
nothing could be measured. :func:`gate_message` turns the user's ``--min-coverage`` /
``--min-mutation-score`` into a refusal.
"""

from __future__ import annotations

import ast
import copy
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from polca.config import SandboxConfig
from polca.optimizer.domains.program.isolation import SELF_CHECK, backend_of, limits_of
from polca.parsing import parse_python
from polca.sandbox.codec import CodecError, UnsafeValue
from polca.sandbox.coverage import CoverageResult, measure_coverage
from polca.sandbox.difftest import compare, self_check
from polca.sandbox.target import Call, InputItem, Target, input_from_safe, safe_input
from polca.sandbox.types import Limits

log = logging.getLogger(__name__)

# Below 80% of its lines run, a fifth of the function is not checked at all: too much to
# call the change verified (codeflash gates at 60%; we label earlier and let users gate).
WEAK_LINE_COVERAGE = 0.8
# Fewer than 60% of simple injected bugs caught means the inputs run the code without
# telling its outcomes apart (small or uniform inputs), whatever the coverage says.
WEAK_MUTATION_SCORE = 0.6
MAX_MUTANTS = 20
MUTANT_MIN_TIMEOUT_S = 2.0  # a mutant's run: this, or a few times the original's, whichever is longer
MUTANT_TIMEOUT_FACTOR = 5.0
AIM_ROUNDS = 4  # rounds of perturbed inputs tried when line coverage is weak
AIM_PER_ROUND = 16
AIM_TIME_S = 20.0  # wall-clock bound of all rounds together

VERIFIED = "verified"
WEAKLY_VERIFIED = "weakly verified"


@dataclass(frozen=True)
class Mutant:
    """One small bug: what was changed (``line``: where) and the whole module's source with it."""

    description: str
    line: int
    source: str


@dataclass(frozen=True)
class OracleStrength:
    """Coverage and mutation score of one target's oracle (None: not measured)."""

    coverage: CoverageResult | None = None
    killed: int = 0
    total: int = 0
    survived: tuple[str, ...] = ()
    aimed: tuple[InputItem, ...] = ()

    @property
    def line_coverage(self) -> float | None:
        return self.coverage.line_fraction if self.coverage is not None else None

    @property
    def branch_coverage(self) -> float | None:
        return self.coverage.branch_fraction if self.coverage is not None else None

    @property
    def mutation_score(self) -> float | None:
        return self.killed / self.total if self.total else None

    @property
    def label(self) -> str:
        """"verified", "weakly verified", or "" when neither coverage nor mutants were measured."""
        lines, score = self.line_coverage, self.mutation_score
        if lines is None and score is None:
            return ""
        weak = (lines is not None and lines < WEAK_LINE_COVERAGE) or (score is not None and score < WEAK_MUTATION_SCORE)
        return WEAKLY_VERIFIED if weak else VERIFIED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as the store keeps it (``oracle_strength`` in the final check)."""
        cov = self.coverage
        return {"verification": self.label, "coverage_lines": self.line_coverage,
                "coverage_branches": self.branch_coverage,
                "mutation_score": [self.killed, self.total] if self.total else None,
                "missing_lines": list(cov.missing_lines) if cov is not None else [],
                "survived_mutants": list(self.survived), "inputs_aimed": len(self.aimed)}


def gate_message(strength: OracleStrength, min_coverage: float, min_mutation_score: float) -> str:
    """Why a change checked by this oracle is not offered ("" when it passes the gates).

    A gate above 0 that could not be measured refuses too: an unmeasured oracle is not
    known to be strong enough."""
    reasons = []
    lines, score = strength.line_coverage, strength.mutation_score
    if min_coverage > 0 and (lines is None or lines < min_coverage):
        shown = "not measured" if lines is None else f"{lines:.2f}"
        reasons.append(f"line coverage {shown} < --min-coverage {min_coverage:g}")
    if min_mutation_score > 0 and (score is None or score < min_mutation_score):
        shown = "not measured" if score is None else f"{score:.2f} ({strength.killed}/{strength.total})"
        reasons.append(f"mutation score {shown} < --min-mutation-score {min_mutation_score:g}")
    return f"not offered: weakly verified: {'; '.join(reasons)}" if reasons else ""


def oracle_strength(original: Target, inputs: Sequence[InputItem], sandbox: SandboxConfig, *,
                    max_mutants: int = MAX_MUTANTS, seed: int = 0, aim: bool = True) -> OracleStrength:
    """Coverage of ``original``'s function by ``inputs``, then its mutants checked on them
    (see the module docstring for what it costs); an empty result for scripts or no inputs.

    With ``aim``, weak line coverage first gets :func:`aimed_inputs`; those found are kept
    in ``aimed`` and measured with ``inputs``: a caller that shows this strength must check
    its candidate on them too."""
    span = function_span(original.source, original.qualname) if original.qualname else None
    if span is None or not inputs:
        return OracleStrength()
    backend, limits = backend_of(sandbox), limits_of(sandbox, SELF_CHECK)
    coverage = measure_coverage(original, inputs, first_line=span[0], last_line=span[1], backend=backend,
                                limits=limits)
    aimed: tuple[InputItem, ...] = ()
    if aim and coverage.line_fraction is not None and coverage.line_fraction < WEAK_LINE_COVERAGE:
        aimed = aimed_inputs(original, inputs, coverage, span, sandbox, seed=seed)
        if aimed:
            coverage = measure_coverage(original, [*inputs, *aimed], first_line=span[0], last_line=span[1],
                                        backend=backend, limits=limits)
    if coverage.status != "ok":
        log.info("coverage of %s not measured: %s", original.qualname, coverage.message)
    checked = [*inputs, *aimed]
    found = mutants(original.source, original.qualname, limit=max_mutants, seed=seed) if max_mutants else []
    mutant_limits = _mutant_limits(sandbox, coverage)
    survived = [m.description for m in found if not killed_by(original, m, checked, sandbox, mutant_limits)]
    return OracleStrength(coverage, len(found) - len(survived), len(found), tuple(survived), aimed)


def _mutant_limits(sandbox: SandboxConfig, coverage: CoverageResult) -> Limits:
    """A mutant that loops forever is cut off after a few times the original's own run."""
    ceiling = limits_of(sandbox, SELF_CHECK)
    timeout_s = max(MUTANT_MIN_TIMEOUT_S, MUTANT_TIMEOUT_FACTOR * coverage.wall_s)
    return Limits(timeout_s=min(ceiling.timeout_s, timeout_s), memory_mb=ceiling.memory_mb)


def killed_by(original: Target, mutant: Mutant, inputs: Sequence[InputItem], sandbox: SandboxConfig,
              limits: Limits | None = None) -> bool:
    """Whether ``inputs`` tell ``mutant`` apart from ``original`` in the differential check
    (a mutant that times out or crashes is told apart; ``limits`` default to the sandbox's)."""
    limits = limits or limits_of(sandbox, SELF_CHECK)
    candidate = Target(mutant.source, original.qualname, original.module_name, original.files)
    report = compare(original, candidate, list(inputs), backend=backend_of(sandbox), limits=limits)
    if report.status == "error" and report.failed_side == "original":
        log.warning("mutant check of %s: the original failed (%s)", original.qualname, report.message)
        return False
    return not report.equal


# ---------------------------------------------------------------- inputs aimed at uncovered lines


def aimed_inputs(original: Target, inputs: Sequence[InputItem], coverage: CoverageResult, span: tuple[int, int],
                 sandbox: SandboxConfig, *, seed: int = 0, rounds: int = AIM_ROUNDS,
                 per_round: int = AIM_PER_ROUND, time_s: float = AIM_TIME_S) -> tuple[Call, ...]:
    """New inputs that run lines ``coverage`` says no input ran: perturbed copies of the
    inputs that are plain data (numbers nudged, containers shortened or reversed, flags
    flipped, ...), kept when they run a line not run before; each round perturbs the inputs
    found so far as well. At most ``rounds`` coverage runs of ``per_round`` inputs within
    about ``time_s`` seconds, then one self-check: inputs the original answers differently
    twice are dropped. Deterministic for a ``seed``; () when nothing new was reached."""
    pool = _plain_calls(inputs)
    missing = set(coverage.missing_lines)
    if not pool or not missing:
        return ()
    rng, kept = random.Random(seed), []
    deadline = time.monotonic() + time_s
    for _ in range(rounds):
        if not missing or time.monotonic() > deadline:
            break
        trial = [_perturb_call(rng.choice(pool + kept), rng) for _ in range(per_round)]
        result = measure_coverage(original, trial, first_line=span[0], last_line=span[1],
                                  backend=backend_of(sandbox), limits=limits_of(sandbox, SELF_CHECK))
        for call, lines in zip(trial, result.input_lines, strict=False):
            if lines & missing:
                kept.append(call)
                missing -= lines
    return _deterministic(original, kept, sandbox)


def _plain_calls(inputs: Sequence[InputItem]) -> list[Call]:
    """The inputs that are plain data, as calls (a pickle of the program's own objects is
    never opened on the host, so those are not perturbed)."""
    calls = []
    for item in inputs:
        try:
            calls.append(input_from_safe(safe_input(item, script=False), script=False))
        except (UnsafeValue, CodecError):
            continue
    return calls


def _deterministic(original: Target, calls: list[Call], sandbox: SandboxConfig) -> tuple[Call, ...]:
    if not calls:
        return ()
    report = self_check(original, calls, backend=backend_of(sandbox), limits=limits_of(sandbox, SELF_CHECK))
    if report.status != "ok":
        return ()
    return tuple(calls[o.index] for o in report.outcomes if o.equal)


def _perturb_call(call: Call, rng: random.Random) -> Call:
    """``call`` with one argument perturbed (:func:`perturb`)."""
    names = [*range(len(call.args)), *call.kwargs]
    if not names:
        return call
    name = rng.choice(names)
    if isinstance(name, int):
        args = list(call.args)
        args[name] = perturb(args[name], rng)
        return Call(tuple(args), dict(call.kwargs))
    return Call(call.args, {**call.kwargs, name: perturb(call.kwargs[name], rng)})


def perturb(value: Any, rng: random.Random) -> Any:
    """A nearby value of the same type: what a boundary or an untaken branch often needs."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice((value + 1, value - 1, -value, 0, 2 * value + 1))
    if isinstance(value, float):
        return rng.choice((value + 1.0, -value, 0.0, value * 2))
    if isinstance(value, str):
        return rng.choice(("", value[::-1], value + (value[:1] or "a"), value.upper()))
    if isinstance(value, list | tuple):
        return type(value)(_perturb_items(list(value), rng))
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        return {**value, key: perturb(value[key], rng)}
    return value


def _perturb_items(items: list, rng: random.Random) -> list:
    if not items:
        return items
    index = rng.randrange(len(items))
    choice = rng.randrange(5)
    if choice == 0:
        return []
    if choice == 1:
        return items[:-1]
    if choice == 2:
        return items[::-1]
    if choice == 3:
        return [*items, items[index]]  # a duplicate
    items[index] = perturb(items[index], rng)
    return items


# ---------------------------------------------------------------- the function and its lines


def find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function ``name`` or ``Class.method`` defined at the top of ``tree`` (None: not there)."""
    scope: Sequence[ast.stmt] = tree.body
    *owners, name = qualname.split(".")
    for owner in owners:
        cls = next((n for n in scope if isinstance(n, ast.ClassDef) and n.name == owner), None)
        if cls is None:
            return None
        scope = cls.body
    return next((n for n in scope if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name), None)


def function_span(source: str, qualname: str) -> tuple[int, int] | None:
    """First and last line of the body of ``qualname`` (its docstring left out), or None."""
    func = find_function(parse_python(source), qualname)
    if func is None:
        return None
    body = func.body[1:] if _has_docstring(func) and len(func.body) > 1 else func.body
    return body[0].lineno, func.end_lineno or body[-1].lineno


def _has_docstring(func: ast.AST) -> bool:
    first = func.body[0]
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)


# ---------------------------------------------------------------- mutants


_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult, ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv, ast.And: ast.Or, ast.Or: ast.And, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
}
_Edit = tuple[str, Callable[[ast.AST], None]]


def mutants(source: str, qualname: str, *, limit: int = MAX_MUTANTS, seed: int = 0) -> list[Mutant]:
    """At most ``limit`` mutants of the function ``qualname`` of ``source``, chosen evenly over
    the function's mutation sites (``seed`` shifts which ones). Deterministic; a mutant whose
    text is the original's is never returned."""
    tree = parse_python(source)
    func = find_function(tree, qualname)
    if func is None or limit < 1:
        return []
    sites = [(i, edit) for i, node in enumerate(_nodes(func)) for edit in _edits(node)]
    original_text = ast.unparse(tree)
    found = []
    for index, (description, apply) in _evenly(sites, limit, seed):
        mutated = copy.deepcopy(tree)
        node = list(_nodes(find_function(mutated, qualname)))[index]
        line = getattr(node, "lineno", func.lineno)
        apply(node)
        text = ast.unparse(ast.fix_missing_locations(mutated))
        if text != original_text:
            found.append(Mutant(f"line {line}: {description}", line, text))
    return found


def _evenly(sites: list, limit: int, seed: int) -> list:
    """``limit`` of ``sites`` spread evenly from start to end, offset by ``seed``."""
    if len(sites) <= limit:
        return sites
    step = len(sites) / limit
    offset = random.Random(seed).random() * step
    return [sites[int(offset + k * step)] for k in range(limit)]


def _nodes(func: ast.AST) -> Iterator[ast.AST]:
    """The function's body nodes in source order (pre-order), the same for a deep copy."""
    for stmt in func.body:
        yield from _preorder(stmt)


def _preorder(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _preorder(child)


def _edits(node: ast.AST) -> list[_Edit]:
    """Every mutation this node offers, as (description, in-place edit of a copy of it)."""
    edits: list[_Edit] = []
    if isinstance(node, ast.BinOp | ast.AugAssign | ast.BoolOp) and type(node.op) in _SWAPS:
        edits.append(_swap_op(node.op))
    if isinstance(node, ast.Compare):
        edits += [_swap_compare(i, op) for i, op in enumerate(node.ops) if type(op) in _SWAPS]
    if isinstance(node, ast.Constant) and type(node.value) in (int, bool):
        edits.append(_change_constant(node.value))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and node.args:
        edits.append(("range(..., stop) -> range(..., stop + 1)", _bump_range_stop))
    if isinstance(node, ast.Slice):
        edits += [(f"slice {part} -> {part} + 1", _bump_slice(part)) for part in ("lower", "upper")
                  if getattr(node, part) is not None]
    if isinstance(node, ast.If):
        edits.append(("if body dropped" + (" (else runs)" if node.orelse else ""), _drop_if_body))
    if isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
        edits.append(("return x -> return None", _return_none))
    return edits


def _swap_op(op: ast.AST) -> _Edit:
    new = _SWAPS[type(op)]

    def apply(node: ast.AST) -> None:
        node.op = new()
    return f"{type(op).__name__} -> {new.__name__}", apply


def _swap_compare(index: int, op: ast.AST) -> _Edit:
    new = _SWAPS[type(op)]

    def apply(node: ast.AST) -> None:
        node.ops[index] = new()
    return f"{type(op).__name__} -> {new.__name__}", apply


def _change_constant(value: int | bool) -> _Edit:
    new = (not value) if isinstance(value, bool) else {0: 1, 1: 0}.get(value, value + 1)

    def apply(node: ast.AST) -> None:
        node.value = new
    return f"constant {value!r} -> {new!r}", apply


def _plus_one(expr: ast.expr) -> ast.expr:
    return ast.BinOp(left=expr, op=ast.Add(), right=ast.Constant(1))


def _bump_range_stop(node: ast.AST) -> None:
    index = min(len(node.args) - 1, 1)  # range(stop) or range(start, stop[, step])
    node.args[index] = _plus_one(node.args[index])


def _bump_slice(part: str) -> Callable[[ast.AST], None]:
    def apply(node: ast.AST) -> None:
        setattr(node, part, _plus_one(getattr(node, part)))
    return apply


def _drop_if_body(node: ast.AST) -> None:
    if node.orelse:
        node.test = ast.Constant(False)  # the else branch runs in its place
    else:
        node.body = [ast.Pass()]


def _return_none(node: ast.AST) -> None:
    node.value = ast.Constant(None)


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
