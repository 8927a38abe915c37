"""Held-out verification: inputs the search never saw, for the final verdict only.

A candidate is searched against the oracle's search inputs; before it is offered it must
also behave like the original on a fresh set (:func:`heldout_calls`): new seeds, boundary
values and the top of a larger size range, so that a rewrite tuned to small inputs (a
memoized recursion, a dropped rare branch, ``lower`` for ``casefold``) is caught.

- Integers that act as *values* span a real range: 0, ±1, 2**31, 2**63, 10**18 and
  random magnitudes up to 10**18. Integers that act as *sizes* (they reach ``range()``, a
  repeat count ``[x] * n``, or a recursive call) grow along :data:`SIZE_LADDER` until one
  call of the original takes :data:`CALL_BUDGET_S` (measured, :func:`grown_scale`).
- Floats include tiny, huge, negative zero and values that cancel; strings include
  non-ASCII letters with case ('ß', 'İ', 'Σ'); containers are empty, of one element,
  with duplicates, sorted and reversed.

Traced inputs (tests, script runs) are split (:func:`split_traced`): every
:data:`HELDOUT_EVERY`-th call is held out. :func:`keep_heldout` keeps the held-out inputs
on which the original answers deterministically, raising a clean exception or not, and
drops (with a count) those where it times out or crashes. :func:`raising_inputs` finds
the inputs on which the original raises: they stay in the oracle but are not timed.
"""

from __future__ import annotations

import ast
import logging
import random
from collections.abc import Callable, Sequence
from typing import Any

from polca.config import SandboxConfig
from polca.optimizer.domains.program.isolation import SELF_CHECK, backend_of, limits_of
from polca.optimizer.domains.program.oracle import (
    _SEQUENCES,
    InputSet,
    OracleCheck,
    UnsupportedSignature,
    _annotation_node,
    _name,
)
from polca.optimizer.domains.program.targets import FunctionInfo
from polca.sandbox.difftest import compare, self_check
from polca.sandbox.measure import measure
from polca.sandbox.target import Call, InputItem, Target
from polca.sandbox.types import Limits

log = logging.getLogger(__name__)

HELDOUT_SEED_OFFSET = 1_000_003
"""Held-out inputs are drawn with ``seed + HELDOUT_SEED_OFFSET``, never the search's seed."""

SIZE_LADDER = (64, 256, 1024, 4096)
"""Scales tried, smallest first, for size-like integers and container lengths of held-out inputs."""

CALL_BUDGET_S = 0.02
"""A scale is large enough once one call of the original takes this long..."""

CALL_LIMIT_S = 0.2
"""...and too large when it takes longer than this (the scale below is used)."""

HELDOUT_EVERY = 4
"""Of traced inputs, every 4th is held out (when there are at least that many)."""

HELDOUT_RANDOM = 4
"""Random held-out calls drawn at the grown scale, beside the boundary calls."""

PROBE_TIMEOUT_S = 5.0  # one probe of the original's call time, or one held-out input run alone
HELDOUT_BATCH_TIMEOUT_S = 20.0  # the original on all held-out inputs at once, before trying them one by one

_VALUE_INTS = (0, 1, -1, 2, 2**31, -(2**31) - 1, 2**63, 10**18, -(10**18))
_FLOATS = (0.0, -0.0, 1.0, -1.5, 5e-324, 1e-300, 1e300, -1e300, 1e16, 0.1)
_STRINGS = ("", "ß", "Straße", "İstanbul", "ΣΑΣ", "ﬁ", "Éé", "ǅ", "a b", "ABC abc")
_LETTERS = "abcXYZßİıΣσςéÉﬁǅ "


# ---------------------------------------------------------------- which integers are sizes


def size_params(info: FunctionInfo, function_source: str) -> set[str]:
    """Names of ``info``'s parameters that act as sizes in ``function_source`` (its ``def``):
    they appear in ``range()``'s arguments, a repeat count (``[x] * n``, ``"-" * n``) or
    the arguments of a recursive call."""
    names = {p.name for p in info.params}
    try:
        tree = ast.parse(_dedent(function_source))
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in ("range", info.name):
            found |= _names_in(node.args, names)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, ast.Name) and side.id in names and _is_sequence_literal(other):
                    found.add(side.id)
    return found


def _dedent(source: str) -> str:
    lines = source.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def _names_in(nodes: Sequence[ast.expr], names: set[str]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in names}


def _is_sequence_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.List | ast.ListComp | ast.Tuple) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str | bytes))


# ---------------------------------------------------------------- generation


def heldout_calls(info: FunctionInfo, function_source: str, *, seed: int,
                  scale: Callable[[Callable[[int], Call]], int] | None = None) -> list[Call]:
    """Boundary calls and random calls at a grown scale, drawn with a seed the search never uses.

    ``scale(make)`` picks the scale from :data:`SIZE_LADDER` (``make(n)`` builds a call at
    scale ``n``), e.g. :func:`grown_scale` timing the original; without it the smallest.
    Raises UnsupportedSignature as :func:`~.oracle.generated_calls` does.
    """
    if info.is_method:
        raise UnsupportedSignature(f"{info.qualname} is a method; its inputs need an instance")
    params = [p for p in info.params if p.kind == "positional" and not p.has_default]
    sizes = size_params(info, function_source)
    gens = []
    for param in params:
        if not param.annotation:
            raise UnsupportedSignature(f"parameter {param.name!r} of {info.qualname} has no type hint")
        gens.append(_Gen(_annotation_node(param, info), param.name in sizes, f"{info.qualname}({param.name})"))
    rng = random.Random(seed + HELDOUT_SEED_OFFSET)
    edges = [g.edges(rng) for g in gens]
    calls = [Call(args=tuple(e[k % len(e)] for e in edges)) for k in range(max((len(e) for e in edges), default=0))]

    def make(n: int) -> Call:
        return Call(args=tuple(g.random(random.Random(seed + HELDOUT_SEED_OFFSET + n), n) for g in gens))

    top = scale(make) if scale is not None and gens else SIZE_LADDER[0]
    calls.extend(Call(args=tuple(g.random(rng, top) for g in gens)) for _ in range(HELDOUT_RANDOM))
    return calls or [Call()]


class _Gen:
    """Boundary values and random values of one annotation (``size``: an integer that acts as a size)."""

    def __init__(self, node: ast.expr, size: bool, where: str) -> None:
        self.node, self.size, self.where = node, size, where
        self.kind = _name(node.value if isinstance(node, ast.Subscript) else node)
        subscripted = isinstance(node, ast.Subscript)
        if subscripted:
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            self.parts = [_Gen(e, False, where) for e in elts]
        if self.kind in ("int", "float", "bool", "str", "bytes") and not subscripted:
            return
        if subscripted and (self.kind in _SEQUENCES or self.kind in ("dict", "Dict", "Mapping")):
            return
        raise UnsupportedSignature(f"cannot generate held-out inputs for {where}: {ast.unparse(node)}")

    @property
    def fixed_tuple(self) -> bool:
        return _SEQUENCES.get(self.kind) is tuple and not (
            len(self.parts) == 2 and isinstance(self.parts[1].node, ast.Constant))

    def edges(self, rng: random.Random) -> list[Any]:
        kind = self.kind
        if kind == "int":
            return [0, 1, 2, 7, SIZE_LADDER[0]] if self.size else list(_VALUE_INTS)
        if kind == "float":
            return list(_FLOATS)
        if kind == "bool":
            return [False, True]
        if kind == "str":
            return list(_STRINGS)
        if kind == "bytes":
            return [b"", b"\x00", b"\xff\xfe", "Straße".encode()]
        if self.kind in ("dict", "Dict", "Mapping"):
            key, value = self.parts
            return [{}, {key.random(rng, 8): value.random(rng, 8)}, self.random(rng, 8)]
        if self.fixed_tuple:
            parts = [p.edges(rng) for p in self.parts]
            return [tuple(e[k % len(e)] for e in parts) for k in range(max(len(e) for e in parts))]
        return self._container_edges(rng)

    def _container_edges(self, rng: random.Random) -> list[Any]:
        make = _SEQUENCES[self.kind]
        element = self.parts[0]
        values = element.edges(rng) + [element.random(rng, 16) for _ in range(6)]
        lists = [[], values[:1], [values[1]] * 3 + values[:2], values]
        if element.kind == "float":
            lists.append([1e16, 1.0, -1e16, 1e-16, 3.0, -3.0])  # values that cancel
        try:
            lists += [sorted(values), sorted(values, reverse=True)]
        except TypeError:
            pass
        return [make(v) for v in lists]

    def random(self, rng: random.Random, n: int) -> Any:
        kind = self.kind
        if kind == "int":
            return rng.randint(n // 2, n) if self.size else _wide_int(rng, n)
        if kind == "float":
            return rng.choice([-1.0, 1.0]) * rng.uniform(0, 1) * 10.0 ** rng.randint(-20, 20)
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "str":
            return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(0, 12)))
        if kind == "bytes":
            return bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
        if kind in ("dict", "Dict", "Mapping"):
            key, value = self.parts
            return {key.random(rng, n): value.random(rng, n) for _ in range(n)}
        if self.fixed_tuple:
            return tuple(p.random(rng, n) for p in self.parts)
        return _SEQUENCES[kind](self.parts[0].random(rng, n) for _ in range(n))


def _wide_int(rng: random.Random, n: int) -> int:
    """Mostly values of the size of ``n`` (so they repeat in containers), sometimes any magnitude up to 10**18."""
    if rng.random() < 0.7:
        return rng.randint(-n, n)
    return rng.choice([-1, 1]) * rng.randint(0, 10 ** rng.randint(1, 18))


def grown_scale(original: Target, sandbox: SandboxConfig) -> Callable[[Callable[[int], Call]], int]:
    """A scale chooser for :func:`heldout_calls` that times one call of ``original`` per rung
    of :data:`SIZE_LADDER`: the first rung whose call takes :data:`CALL_BUDGET_S`, or the
    last one that took less than :data:`CALL_LIMIT_S` (and did not fail)."""

    def choose(make: Callable[[int], Call]) -> int:
        chosen = SIZE_LADDER[0]
        for n in SIZE_LADDER:
            timing = measure(original, original, [make(n)], backend=backend_of(sandbox), rounds=3, warmup=0,
                             min_sample_s=0.001, fresh_inputs=False, timeout_s=PROBE_TIMEOUT_S,
                             limits=limits_of(sandbox))
            if timing.status != "ok" or timing.summary_a.median_s > CALL_LIMIT_S:
                break
            chosen = n
            if timing.summary_a.median_s >= CALL_BUDGET_S:
                break
        return chosen

    return choose


def split_traced(inputs: InputSet) -> tuple[InputSet, InputSet]:
    """(search, held-out): every :data:`HELDOUT_EVERY`-th input held out, when there are that many."""
    if len(inputs.inputs) < HELDOUT_EVERY:
        return inputs, InputSet(())
    labels = [name for name, count in inputs.sources.items() for _ in range(count)]
    labels += ["traced"] * (len(inputs.inputs) - len(labels))
    search: dict[str, int] = {}
    kept, held = [], []
    for index, (item, label) in enumerate(zip(inputs.inputs, labels, strict=False)):
        if index % HELDOUT_EVERY == HELDOUT_EVERY - 1:
            held.append(item)
        else:
            kept.append(item)
            search[label] = search.get(label, 0) + 1
    return InputSet(tuple(kept), search), InputSet(tuple(held), {"traced (held-out)": len(held)})


# ---------------------------------------------------------------- the original on held-out inputs


def keep_heldout(original: Target, inputs: Sequence[InputItem], sandbox: SandboxConfig) -> OracleCheck:
    """The held-out inputs the original answers deterministically (a clean exception counts);
    those it times out or crashes on, or answers differently twice, are dropped (``dropped``)."""
    if not inputs:
        return OracleCheck((), 0, "ok")
    batch = Limits(timeout_s=min(HELDOUT_BATCH_TIMEOUT_S, sandbox.timeout_s * SELF_CHECK), memory_mb=sandbox.memory_mb)
    report = self_check(original, list(inputs), backend=backend_of(sandbox), limits=batch)
    if report.status == "ok":
        kept = tuple(inputs[o.index] for o in report.outcomes if o.equal)
    else:  # one input timed out or crashed the run: find which, one at a time
        limits = Limits(timeout_s=min(PROBE_TIMEOUT_S, sandbox.timeout_s * SELF_CHECK), memory_mb=sandbox.memory_mb)
        kept = tuple(item for item in inputs
                     if self_check(original, [item], backend=backend_of(sandbox), limits=limits).equal)
    dropped = len(inputs) - len(kept)
    if dropped:
        log.info("%s: dropped %d of %d held-out inputs (the original timed out, crashed or disagreed with itself)",
                 original.qualname, dropped, len(inputs))
    return OracleCheck(kept, dropped, "ok")


def raising_inputs(original: Target, inputs: Sequence[InputItem], sandbox: SandboxConfig) -> frozenset[int]:
    """Indices of ``inputs`` on which the original raises (compared against a stand-in that
    returns None, an exception shows as an "exception" mismatch). Empty for scripts and
    methods, where no stand-in can be put in place."""
    qualname = original.qualname
    if qualname is None or "." in qualname or not inputs:
        return frozenset()
    stand_in = Target(source=f"{original.source}\n\n\ndef {qualname}(*args, **kwargs):\n    return None\n",
                      qualname=qualname, module_name=original.module_name, files=original.files)
    report = compare(original, stand_in, list(inputs), backend=backend_of(sandbox),
                     limits=limits_of(sandbox, SELF_CHECK))
    if report.status != "ok":
        return frozenset()
    return frozenset(o.index for o in report.outcomes if any(m.check == "exception" for m in o.mismatches))
