"""Generated inputs: calls drawn from the parameters' types (:class:`~polca.skills.analysis.types.Spec`).

One generator serves both the search and the held-out verdict:

- **search** (:func:`search_calls`): a few small calls (scales 0 to 8: empty containers,
  zeros, one element) and a few random calls at the search scale, all from ``seed``;
- **held-out** (:func:`heldout_calls`): boundary values (ints 0, ±1, 2**31, 2**63, 10**18;
  floats -0.0, 5e-324, 1e300 and values that cancel; strings 'ß', 'İ', 'Σ'; containers
  empty, of one element, with duplicates, sorted and reversed) and random calls at the top
  of the size ladder, from ``seed + HELDOUT_SEED_OFFSET``, never the search's seed; and
  (:func:`large_size_calls`) size ints far above the ladder where the original answers them
  quickly (a capped or logarithmic loop), found by one sandbox run with a per-call limit.

A call at scale ``n`` holds about ``n`` elements *in total*, across all nesting levels and
all parameters: a ``list[list[int]]`` at 10 000 is about 100 lists of 100, never 10 000 of
10 000. Integers follow their role: a ``size`` climbs with the scale like a container's
length, a ``value`` spans the real range (boundaries in held-out draws, random magnitudes
in search draws, within ``low``/``high``), an ``index`` stays inside the shortest container
of the same call (or small when there is none).

The scale grows per target (:func:`grown_scale`) along :data:`SIZE_LADDER` until one call of
the original takes :data:`CALL_BUDGET_S`, so cubic code gets small inputs and linear code
large ones; the search uses a smaller scale (:func:`grown_scales`). Classes, enums, callables and
iterators travel as markers of :mod:`polca.sandbox.target` and are built in the sandbox.
"""

from __future__ import annotations

import collections
import copy
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from polca.config import SandboxConfig
from polca.optimizer.domains.program.isolation import SELF_CHECK, backend_of, limits_of
from polca.optimizer.domains.program.oracle import UnsupportedSignature
from polca.optimizer.domains.program.targets import FunctionInfo
from polca.sandbox.measure import measure, time_calls
from polca.sandbox.target import Build, Call, Iter, Member, Named, Pure, Target
from polca.sandbox.types import Limits
from polca.skills.analysis.infer import parameter_types, receiver_type
from polca.skills.analysis.types import (
    ArraySpec,
    BoolSpec,
    BytesSpec,
    CallableSpec,
    ChoiceSpec,
    ClassSpec,
    DictSpec,
    EnumSpec,
    FloatSpec,
    InstanceSpec,
    IntSpec,
    NoneSpec,
    ParamType,
    RecordSpec,
    SequenceSpec,
    Spec,
    StrSpec,
    TupleSpec,
    UnionSpec,
    describe,
    is_number,
)

log = logging.getLogger(__name__)

HELDOUT_SEED_OFFSET = 1_000_003
"""Held-out inputs are drawn with ``seed + HELDOUT_SEED_OFFSET``, never the search's seed."""

SIZE_LADDER = (8, 64, 512, 4096, 32768, 131072)
"""Scales tried, smallest first: total elements of one generated call."""

CALL_BUDGET_S = 0.02
"""A scale is large enough once one call of the original takes this long..."""

CALL_LIMIT_S = 0.2
"""...and too large when it takes longer than this (a smaller scale is used)."""

SEARCH_CALL_S = 0.005
"""The search's scale is the largest probed one whose call takes at most this long."""

PROBE_TIMEOUT_S = 5.0  # one probe of the original's call time
PROBE_TOTAL_S = 20.0  # all probes of one target together
MAX_PROBES = 10

SMALL_SCALES = (0, 1, 2, 3, 5, 8)
"""Scales of the search's small calls (edge cases: empty, one element)."""

LARGE_SEARCH = 3
HELDOUT_RANDOM = 4
"""Random calls at the search scale, and at the top of the ladder for held-out."""

_VALUE_INTS = (0, 1, -1, 2, 2**31, -(2**31) - 1, 2**63, 10**18, -(10**18))
_FLOATS = (0.0, -0.0, 1.0, -1.5, 5e-324, 1e-300, 1e300, -1e300, 1e16, 0.1)
_CANCELLING = (1e16, 1.0, -1e16, 1e-16, 3.0, -3.0)
_STRINGS = ("", "ß", "Straße", "İstanbul", "ΣΑΣ", "ﬁ", "Éé", "ǅ", "a b", "ABC abc")
_LETTERS = "abcXYZßİıΣσςéÉﬁǅ "
_WORD_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NUMERIC_DTYPES = ("bool", "int", "uint", "float", "complex")

# Pure functions offered for a Callable parameter, by arity: they accept any argument
# (numbers, strings, containers) and are deterministic in every process.
_PURE = {
    0: ("lambda: 0", "lambda: 1"),
    1: ("lambda x: x", "lambda x: len(repr(x)) % 3 == 0", "lambda x: (repr(x), x)"),
    2: ("lambda a, b: a", "lambda a, b: b", "lambda a, b: (a, b)"),
}
_PURE_NUMERIC = {
    1: ("lambda x: x * 2 + 1", "lambda x: x % 7", "lambda x: -x"),
    2: ("lambda a, b: a + b", "lambda a, b: max(a, b)", "lambda a, b: a * b % 1000003"),
}


# ---------------------------------------------------------------- what a call takes


@dataclass(frozen=True)
class Params:
    """The values one call takes, in order: ``specs`` with their ``names``; the first
    ``positional`` are passed by position (a method's receiver first), the rest by keyword."""

    specs: tuple[Spec, ...]
    names: tuple[str, ...] = ()
    positional: int | None = None

    def call(self, values: Sequence[Any]) -> Call:
        cut = len(values) if self.positional is None else self.positional
        return Call(args=tuple(values[:cut]), kwargs=dict(zip(self.names[cut:], values[cut:], strict=True)))


def _params(params: Params | Sequence[Spec]) -> Params:
    return params if isinstance(params, Params) else Params(tuple(params))


def target_params(source: str, info: FunctionInfo, *, callers: Mapping[str, str] | None = None,
                  module_name: str = "") -> Params:
    """What a generated call of ``info`` (a function of module ``source``) passes: its
    required parameters, typed by :mod:`~polca.skills.analysis.infer`, a method's receiver
    first (an instance, or a classmethod's class; the worker calls the plain function with
    it, as traced calls replay, which for a classmethod is ``Class.method(*args)``); parameters
    with defaults keep them. Raises UnsupportedSignature naming a parameter that cannot be
    generated, why, and what to give. ``callers`` (name -> source) are the package's other
    modules: the literal arguments they pass to ``module_name``'s function count too."""
    types = {t.name: t for t in parameter_types(source, info.qualname, callers=callers, module_name=module_name)}
    required = [p for p in info.params if not p.has_default and p.kind in ("positional", "keyword")
                and p.name in types]
    chosen = [types[p.name] for p in required if p.kind == "positional"]
    keywords = [types[p.name] for p in required if p.kind == "keyword"]
    receiver = receiver_type(source, info.qualname)
    if receiver is not None:
        chosen.insert(0, receiver)
    specs = generable_specs([*chosen, *keywords], info.qualname)
    return Params(specs, tuple(t.name for t in [*chosen, *keywords]), len(chosen))


# ---------------------------------------------------------------- checking what can be generated


def generable_specs(params: Sequence[ParamType], qualname: str) -> tuple[Spec, ...]:
    """The specs of ``params``; raises UnsupportedSignature naming the first that cannot be
    generated, why, and what to give instead."""
    specs = []
    for param in params:
        if param.spec is None:
            why = param.why or "its type is unknown"
            raise UnsupportedSignature(f"parameter {param.name!r} of {qualname}: {why}")
        problem = _unsupported(param.spec)
        if problem:
            raise UnsupportedSignature(f"parameter {param.name!r} of {qualname} ({describe(param.spec)}): "
                                       f"{problem}; give a simpler type hint")
        specs.append(param.spec)
    return tuple(specs)


def _unsupported(spec: Spec) -> str:
    """Why values of ``spec`` cannot be generated, or ""."""
    match spec:
        case SequenceSpec(item=item, kind=kind) if kind in ("set", "frozenset") and not _hashable(item):
            return f"a {kind} cannot hold {describe(item)} (unhashable)"
        case DictSpec(key=key) if not _hashable(key):
            return f"a dict key cannot be {describe(key)} (unhashable)"
        case DictSpec(value=value, kind="defaultdict") if _factory(value) is None:
            return f"a defaultdict of {describe(value)} has no builtin factory (int, str, list, set, dict...)"
        case ArraySpec(dtype=dtype) if not _numpy_available():
            return f"numpy arrays ({dtype}) need numpy, which is not installed where polca runs"
        case ArraySpec(dtype=dtype, ndim=ndim) if not dtype.startswith(_NUMERIC_DTYPES) or not 1 <= ndim <= 4:
            return f"only numeric arrays of 1 to 4 dimensions are generated, not {dtype} with ndim={ndim}"
        case CallableSpec(arity=arity) if arity not in _PURE:
            return f"callables of {arity} arguments are not generated (0 to 2 are)"
        case EnumSpec(members=()):
            return "the enum has no members"
        case InstanceSpec(args=args, kwargs=kwargs):
            return next((p for p in map(_unsupported, [*args, *(v for _, v in kwargs)]) if p), "")
        case SequenceSpec(item=item) | DictSpec(value=item):
            return _unsupported(item) or (_unsupported(spec.key) if isinstance(spec, DictSpec) else "")
        case TupleSpec(items=items) | UnionSpec(options=items):
            return next((p for p in map(_unsupported, items) if p), "")
        case RecordSpec(fields=fields):
            return next((p for p in (_unsupported(v) for _, v in fields) if p), "")
    if type(spec) is Spec or not isinstance(spec, Spec):
        return f"{type(spec).__name__} is not a value type"
    return ""


def _hashable(spec: Spec) -> bool:
    match spec:
        case SequenceSpec(kind=kind, item=item):
            return kind == "frozenset" or (kind == "tuple" and _hashable(item))
        case TupleSpec(items=items) | UnionSpec(options=items):
            return all(_hashable(i) for i in items)
        case DictSpec() | RecordSpec() | ArraySpec() | InstanceSpec():
            return False
    return True


def _numpy_available() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- calls


def search_calls(params: Params | Sequence[Spec], *, scale: int, seed: int) -> list[Call]:
    """The search's calls: small ones (:data:`SMALL_SCALES`) and :data:`LARGE_SEARCH` at ``scale``."""
    rng = random.Random(seed)
    calls = [call_at(params, n, rng, magnitude=_search_magnitude(rng, n), turn=k) for k, n in enumerate(SMALL_SCALES)]
    calls += [call_at(params, scale, rng, magnitude=_search_magnitude(rng, scale), turn=len(SMALL_SCALES) + k)
              for k in range(LARGE_SEARCH)]
    return calls


def heldout_calls(params: Params | Sequence[Spec], *, scale: int, seed: int) -> list[Call]:
    """Boundary calls and :data:`HELDOUT_RANDOM` random calls at ``scale`` (the top of the
    ladder), drawn from ``seed + HELDOUT_SEED_OFFSET``."""
    params = _params(params)
    rng = random.Random(seed + HELDOUT_SEED_OFFSET)
    # a boundary size reaches the top (a recursion depth as deep as the original was timed
    # at), shared among the parameters that grow, as a random call's budget is
    share = scale // max(1, sum(depth(s) > 0 for s in params.specs))
    gen = _Gen(rng, heldout=True, magnitude=max(8, scale), scale=share)
    edges = [gen.edges(spec) for spec in params.specs]
    count = max((len(e) for e in edges), default=0)
    # deepcopy: each call owns its values, as if it came from its own draw
    calls = [params.call(copy.deepcopy([e[k % len(e)] for e in edges])) for k in range(count)]
    # half of them with values of any magnitude in every element, half within the scale: code
    # that only takes small values (struct fields, table sizes) still gets large valid calls
    calls += [call_at(params, scale, rng, heldout=True, wide=k % 2 == 1, turn=k) for k in range(HELDOUT_RANDOM)]
    return calls or [Call()]


def call_at(params: Params | Sequence[Spec], n: int, rng: random.Random, *, heldout: bool = False,
            wide: bool = False, magnitude: int | None = None, turn: int | None = None) -> Call:
    """One call holding about ``n`` elements in total across its parameters. Value ints lie
    within ``magnitude`` (default ``n``, at least 8) so they repeat; ``wide``: each may have
    any magnitude up to 10**18 instead. ``turn`` (the call's index in its batch) picks the
    call's first choice value (:class:`ChoiceSpec`, compared constants), so a batch holds each."""
    params = _params(params)
    gen = _Gen(rng, heldout=heldout, wide=wide, magnitude=magnitude or max(8, n), turn=turn)
    return params.call(gen.values(params.specs, n, params.names))


def _search_magnitude(rng: random.Random, n: int) -> int | None:
    """The value range of one search call: mostly the scale, sometimes larger (one per call,
    so a function that rejects large values still gets calls it accepts)."""
    if rng.random() < 0.6:
        return None
    return max(n, rng.choice((10**3, 10**6, 10**9)))


def _clamp(spec: IntSpec, value: int) -> int:
    if spec.high is not None:
        value = min(value, spec.high)
    if spec.low is not None:
        value = max(value, spec.low)
    return value


# ---------------------------------------------------------------- values


def depth(spec: Spec) -> int:
    """Nesting levels whose length grows with the scale (a size int counts as one)."""
    match spec:
        case SequenceSpec(item=item) | DictSpec(value=item):
            return 1 + depth(item)
        case IntSpec(role="size") | StrSpec():
            return 1
        case ArraySpec(ndim=ndim):
            return ndim
        case TupleSpec(items=items) | UnionSpec(options=items):
            return max((depth(i) for i in items), default=0)
        case RecordSpec(fields=fields):
            return max((depth(v) for _, v in fields), default=0)
        case InstanceSpec(args=args, kwargs=kwargs):
            return max((depth(v) for v in [*args, *(v for _, v in kwargs)]), default=0)
    return 0


def _leaves(spec: Spec) -> int:
    """Elements of one value of a fixed-size spec (depth 0)."""
    match spec:
        case TupleSpec(items=items):
            return max(1, sum(_leaves(i) for i in items))
        case RecordSpec(fields=fields):
            return max(1, sum(_leaves(v) for _, v in fields))
        case InstanceSpec(args=args, kwargs=kwargs):
            return max(1, sum(_leaves(v) for v in [*args, *(v for _, v in kwargs)]))
    return 1


def split_budget(specs: Sequence[Spec], n: float) -> list[float]:
    """Each part's share of ``n`` elements: fixed-size parts take what they hold, the growing
    ones share the rest equally."""
    growing = [depth(s) > 0 for s in specs]
    fixed = sum(_leaves(s) for s, g in zip(specs, growing, strict=True) if not g)
    share = max(0.0, n - fixed) / max(1, sum(growing))
    return [share if g else float(_leaves(s)) for s, g in zip(specs, growing, strict=True)]


class _Gen:
    """Random values of specs within an element budget (``heldout``: wider value ranges)."""

    def __init__(self, rng: random.Random, *, heldout: bool, wide: bool = False, magnitude: int = 8,
                 scale: int = SIZE_LADDER[1], turn: int | None = None) -> None:
        self.rng, self.heldout, self.wide, self.magnitude = rng, heldout, wide, magnitude
        self.turn, self.choices = turn, 0  # choices: values drawn so far from a choice of constants
        self.scale = scale  # the top of boundary sizes: a size int's edges never pass it
        self.lengths: list[int] = []  # lengths of the containers drawn so far in this call
        self.named: dict[str, int] = {}  # length of each named value drawn so far (what an index is "of")
        self.inside = 0  # sequences being drawn around the current value: their elements' constants are edges only

    def values(self, specs: Sequence[Spec], n: float, names: Sequence[str] = ()) -> list[Any]:
        """Values of ``specs`` sharing ``n`` elements; index ints are drawn last, within the
        container they index (``IntSpec.of``, one of ``names``) or the shortest one."""
        budgets = split_budget(specs, n)
        out: list[Any] = [None] * len(specs)
        order = sorted(range(len(specs)), key=lambda i: _is_index(specs[i]))
        for i in order:
            out[i] = self.value(specs[i], budgets[i])
            if i < len(names) and hasattr(out[i], "__len__"):
                self.named[names[i]] = len(out[i])
        return out

    def value(self, spec: Spec, n: float) -> Any:
        rng = self.rng
        match spec:
            case ChoiceSpec(values=values):
                return values[self._choose(len(values))]
            case IntSpec(examples=examples) | StrSpec(examples=examples) if examples and self.inside:
                return self.value(replace(spec, examples=()), n)  # an element's bounds: held-out edges only
            case IntSpec(role="size", examples=examples) if examples and not self.heldout:
                return self.value(replace(spec, examples=()), n)  # a size beyond the ladder is held out only
            case IntSpec(examples=examples) | StrSpec(examples=examples) if examples:
                k = self._choose(len(examples) + 1)  # the last: any other value
                if k < len(examples):
                    return examples[k]
                return self.value(replace(spec, examples=()), n)
            case IntSpec():
                return self._int(spec, n)
            case FloatSpec():
                return rng.choice((-1.0, 1.0)) * rng.uniform(0, 1) * 10.0 ** rng.randint(-6 if not self.heldout
                                                                                          else -20, 6)
            case BoolSpec():
                return rng.random() < 0.5
            case StrSpec(alphabet=alphabet):
                return self._str(alphabet, n)
            case BytesSpec():
                return bytes(rng.randrange(256) for _ in range(max(0, round(min(n, 64)))))
            case NoneSpec():
                return None
            case SequenceSpec():
                return self._sequence(spec, n)
            case DictSpec(key=key, value=item):
                length, each = self._length(item, n, per_item=1 + _leaves(key))
                return _as_mapping({self._key(key, length): self.value(item, each) for _ in range(length)}, spec)
            case TupleSpec(items=items):
                return tuple(self.values(items, n))
            case RecordSpec(fields=fields):
                return dict(zip((k for k, _ in fields), self.values([v for _, v in fields], n), strict=True))
            case UnionSpec(options=options):
                return self.value(rng.choice(options), n)
        return self._built(spec, n)

    def _built(self, spec: Spec, n: float) -> Any:
        rng = self.rng
        match spec:
            case ArraySpec():
                return self._array(spec, n)
            case CallableSpec():
                return Pure(rng.choice(_pure_sources(spec)))
            case EnumSpec(qualname=name, members=members):
                return Member(name, rng.choice(members))
            case ClassSpec(qualname=name):
                return Named(name)
            case InstanceSpec(qualname=name, args=args, kwargs=kwargs):
                values = self.values([*args, *(v for _, v in kwargs)], n)
                return Build(name, tuple(values[:len(args)]),
                             dict(zip((k for k, _ in kwargs), values[len(args):], strict=True)))
        raise UnsupportedSignature(f"cannot generate values of {describe(spec)}")

    def _choose(self, count: int) -> int:
        """An index below ``count``: the call's turn for its first choice, random after."""
        self.choices += 1
        if self.turn is not None and self.choices == 1:
            return self.turn % count
        return self.rng.randrange(count)

    def _length(self, item: Spec, n: float, per_item: int | None = None) -> tuple[int, float]:
        """(length, each item's budget) of a container of ``item`` holding ``n`` elements.

        Nested levels get the same length (``n ** (1 / levels)`` each), so a list of lists
        is square and two parameters of one type have one shape: matrix code runs on it."""
        d = depth(item)
        if d == 0:
            length = max(0, int(n / (per_item or _leaves(item))))
            self.lengths.append(length)
            return length, (n / length if length else 0.0)
        length = max(0, int(round(max(n, 0.0) ** (1.0 / (d + 1)))))
        self.lengths.append(length)
        return length, float(length ** d) if length else 0.0

    def _key(self, key: Spec, length: int) -> Any:
        """A dict key: words of a vocabulary a few times the dict's length, so keys mostly differ."""
        if isinstance(key, StrSpec) and not key.alphabet:
            return _word(self.rng.randrange(4 * length + 26))
        return self.value(key, 1)

    def _sequence(self, spec: SequenceSpec, n: float) -> Any:
        length, each = self._length(spec.item, n)
        # numbers: all ints, all floats, or both mixed, one of the three per container
        item = self.rng.choice((*spec.item.options, spec.item)) if is_number(spec.item) else spec.item
        self.inside += 1
        try:
            items = [self.value(item, each) for _ in range(length)]
        finally:
            self.inside -= 1
        return _as_kind(items, spec.kind)

    def _int(self, spec: IntSpec, n: float) -> int:
        rng = self.rng
        if spec.role == "size":
            value = rng.randint(max(0, int(n) // 2), max(0, int(n)))
        elif spec.role == "index":
            length = self.named.get(spec.of or "", min(self.lengths, default=8))
            value = rng.randrange(length) if length > 0 else 0
        elif self.wide and rng.random() < 0.3:
            value = rng.choice((-1, 1)) * rng.randint(0, 10 ** rng.randint(1, 18))
        else:
            value = rng.randint(-self.magnitude, self.magnitude)
        if spec.low is not None and spec.high is not None and not spec.low <= value <= spec.high:
            return rng.randint(spec.low, spec.high)
        return _clamp(spec, value)

    def _str(self, alphabet: str | None, n: float) -> str:
        """A text of about ``n`` characters: words of a vocabulary of about ``n / 8`` words (26 at least)
        (they repeat, as in real text), or characters of ``alphabet``."""
        rng, length = self.rng, max(0, round(n))
        if alphabet:
            return "".join(rng.choice(alphabet) for _ in range(length))
        if self.heldout and rng.random() < 0.3:
            return "".join(rng.choice(_LETTERS) for _ in range(min(length, 12)))
        words, total = [], 0
        while total < length:
            words.append(_word(rng.randrange(max(26, length // 8))))
            total += len(words[-1]) + 1
        return " ".join(words)

    def _array(self, spec: ArraySpec, n: float) -> Any:
        import numpy

        side = max(0, int(round(max(n, 0) ** (1.0 / spec.ndim))))
        shape = (side,) * spec.ndim
        self.lengths.append(side)
        generator = numpy.random.default_rng(self.rng.randrange(2**32))
        dtype = numpy.dtype(spec.dtype)
        if dtype.kind == "b":
            return generator.random(shape) < 0.5
        if dtype.kind in "iu":
            info = numpy.iinfo(dtype)
            low, high = max(info.min, -1000), min(info.max, 1000)
            return generator.integers(low, high, size=shape, endpoint=True).astype(dtype)
        if dtype.kind == "c":
            return (generator.standard_normal(shape) + 1j * generator.standard_normal(shape)).astype(dtype)
        return generator.standard_normal(shape).astype(dtype)

    # ------------------------------------------------------------ boundary values

    def edges(self, spec: Spec) -> list[Any]:
        """Boundary values of ``spec``: the values a rewrite tuned to typical inputs gets wrong,
        and every constant it may take or is compared with."""
        match spec:
            case ChoiceSpec(values=values):
                return list(values)
            case IntSpec(examples=examples) | StrSpec(examples=examples) if examples:
                return [*examples, *self.edges(replace(spec, examples=()))]
            case IntSpec(role="size"):
                return [_clamp(spec, v) for v in sorted({0, 1, 2, 7, self.scale}) if v <= self.scale]
            case IntSpec(role="index"):
                return [0]
            case IntSpec(low=low, high=high):
                return [v for v in _VALUE_INTS if (low is None or v >= low) and (high is None or v <= high)] or [
                    self._int(spec, 8)]
            case FloatSpec(finite=finite):
                return list(_FLOATS) + ([] if finite else [math.inf, -math.inf])
            case BoolSpec():
                return [False, True]
            case StrSpec(alphabet=alphabet):
                return ["", *alphabet[:3], alphabet * 3] if alphabet else list(_STRINGS)
            case BytesSpec():
                return [b"", b"\x00", b"\xff\xfe", "Straße".encode()]
            case NoneSpec():
                return [None]
            case SequenceSpec():
                return self._container_edges(spec)
            case DictSpec(key=key, value=value):
                return [_as_mapping({}, spec), _as_mapping({self.value(key, 1): self.value(value, 8)}, spec),
                        self.value(spec, 16)]
            case TupleSpec(items=items):
                return _zipped([self.edges(i) for i in items], tuple)
            case RecordSpec(fields=fields):
                names = [k for k, _ in fields]
                return _zipped([self.edges(v) for _, v in fields], lambda vs: dict(zip(names, vs, strict=True)))
            case UnionSpec(options=options) if is_number(spec):
                return [e for o in options for e in self.edges(o)]
            case UnionSpec(options=options):
                return [e for o in options for e in self.edges(o)[:8]]
            case EnumSpec(qualname=name, members=members):
                return [Member(name, m) for m in members]
            case ClassSpec(qualname=name):
                return [Named(name)]
        return [self.value(spec, k) for k in (0, 1, 16)]

    def _container_edges(self, spec: SequenceSpec) -> list[Any]:
        item = spec.item
        if is_number(item):  # ints and floats side by side, then floats alone
            whole, real = (self.edges(o)[:5] for o in item.options)
            values = [v for pair in zip(whole, real, strict=False) for v in pair] + [self.value(item, 4) for _ in range(6)]
        else:
            values = self.edges(item)[:10] + [self.value(item, 4) for _ in range(6)]
        lists = [[], values[:1], [values[1 % len(values)]] * 3 + values[:2], values]
        if is_number(item):
            lists.append(self.edges(item.options[1])[:10])
        if isinstance(item, FloatSpec) or is_number(item):
            lists.append(list(_CANCELLING))
        if isinstance(item, StrSpec) and item.alphabet is None:
            lists.append(_case_variants())  # duplicates up to case: 'Straße' / 'STRASSE', 'ΣΑΣ' / 'σας'
        try:
            lists += [sorted(values), sorted(values, reverse=True)]
        except TypeError:
            pass
        return [_as_kind(v, spec.kind) for v in lists]


def _case_variants() -> list[str]:
    """Strings that are equal, or not, depending on how case is folded: each boundary string
    beside its upper, lower, casefolded and title forms (so ``lower`` for ``casefold``,
    or a dedup that ignores case differently, shows)."""
    out: list[str] = []
    for text in _STRINGS:
        for form in (text, text.upper(), text.lower(), text.casefold(), text.title()):
            if form not in out:
                out.append(form)
    return out


def _zipped(edges: list[list[Any]], make: Callable[[list[Any]], Any]) -> list[Any]:
    count = max((len(e) for e in edges), default=1)
    return [make([e[k % len(e)] for e in edges]) for k in range(count)] if edges else [make([])]


def _is_index(spec: Spec) -> bool:
    return isinstance(spec, IntSpec) and spec.role == "index"


def _as_kind(items: list[Any], kind: str) -> Any:
    match kind:
        case "tuple":
            return tuple(items)
        case "set":
            return set(items)
        case "frozenset":
            return frozenset(items)
        case "deque":
            return collections.deque(items)
        case "iterator":  # a generator cannot be pickled: the worker wraps the list in iter()
            return Iter(items)
    return items


_FACTORIES: dict[type[Spec], Callable[[], Any]] = {IntSpec: int, FloatSpec: float, StrSpec: str, BoolSpec: bool,
                                                   BytesSpec: bytes, DictSpec: dict, RecordSpec: dict}


def _factory(value: Spec) -> Callable[[], Any] | None:
    """The builtin that makes an empty ``value`` (a defaultdict's factory; it pickles), or None."""
    if isinstance(value, SequenceSpec):
        return {"list": list, "set": set, "frozenset": frozenset, "tuple": tuple,
                "deque": collections.deque}.get(value.kind)
    if isinstance(value, DictSpec) and value.kind == "counter":
        return collections.Counter
    return _FACTORIES.get(type(value))


def _as_mapping(items: dict, spec: DictSpec) -> Any:
    """``items`` as the mapping ``spec`` names: a dict, a Counter, or a defaultdict."""
    if spec.kind == "counter":
        return collections.Counter(items)
    if spec.kind == "defaultdict":
        return collections.defaultdict(_factory(spec.value), items)
    return items


def _pure_sources(spec: CallableSpec) -> tuple[str, ...]:
    numeric = all(isinstance(a, IntSpec | FloatSpec) or is_number(a) for a in spec.args) and spec.args
    if numeric and spec.arity in _PURE_NUMERIC and not isinstance(spec.returns, BoolSpec):
        return _PURE_NUMERIC[spec.arity]
    if isinstance(spec.returns, BoolSpec) and spec.arity == 1:
        return ("lambda x: len(repr(x)) % 3 == 0", "lambda x: not x", "lambda x: bool(x)")
    return _PURE[spec.arity]


def _word(index: int) -> str:
    word = ""
    while True:
        word += _WORD_LETTERS[index % 26]
        index //= 26
        if index == 0:
            return word


# ---------------------------------------------------------------- the size ladder


Maker = Callable[[int], Call]


class _Prober:
    """Times one call of ``original`` at a scale: seconds, or None when it fails or takes
    longer than :data:`CALL_LIMIT_S`; :data:`MAX_PROBES` and :data:`PROBE_TOTAL_S` bound it."""

    def __init__(self, original: Target, sandbox: SandboxConfig, make: Maker) -> None:
        self.original, self.sandbox, self.make = original, sandbox, make
        self.times: dict[int, float] = {}  # scale -> seconds, of the probes that passed
        self.count, self.started = 0, time.monotonic()

    @property
    def spent(self) -> bool:
        return self.count >= MAX_PROBES or time.monotonic() - self.started > PROBE_TOTAL_S

    def __call__(self, n: int) -> float | None:
        self.count += 1
        timing = measure(self.original, self.original, [self.make(n)], backend=backend_of(self.sandbox),
                         rounds=3, warmup=0, min_sample_s=0.001, fresh_inputs=False, timeout_s=PROBE_TIMEOUT_S,
                         limits=limits_of(self.sandbox))
        if timing.status != "ok" or timing.summary_a.median_s > CALL_LIMIT_S:
            return None
        self.times[n] = timing.summary_a.median_s
        return self.times[n]


def grown_scales(original: Target, sandbox: SandboxConfig, make: Maker, *,
                 ladder: Sequence[int] = SIZE_LADDER) -> tuple[int, int]:
    """(search scale, top) for ``original``, ``make(n)`` building a call at scale ``n``.

    The top is the first rung of ``ladder`` at which one call takes :data:`CALL_BUDGET_S`,
    or the last that did not fail nor pass :data:`CALL_LIMIT_S`; between that rung and the
    next, too slow one, the scale is refined geometrically (exponential code jumps from
    microseconds to minutes within one rung). The search's scale is the largest probed one
    below the top whose call takes at most :data:`SEARCH_CALL_S` (it is timed many times)."""
    probe = _Prober(original, sandbox, make)
    too_slow = None
    for n in ladder:
        seconds = probe(n)
        if seconds is None:
            too_slow = n
            break
        if seconds >= CALL_BUDGET_S or probe.spent:
            break
    if not probe.times:
        return ladder[0], ladder[0]
    top = max(probe.times)
    while too_slow is not None and probe.times[top] < CALL_BUDGET_S and not probe.spent:
        middle = round(math.sqrt(top * too_slow))
        if not top < middle < too_slow:
            break
        if probe(middle) is None:
            too_slow = middle
        else:
            top = middle
    return _search_scale(probe, top), top


def _search_scale(probe: _Prober, top: int) -> int:
    fast = [n for n, seconds in probe.times.items() if n < top and seconds <= SEARCH_CALL_S]
    search = max(fast, default=min(probe.times))
    middle = round(math.sqrt(search * top))
    if search * 2 < top and not probe.spent and search < middle < top:
        seconds = probe(middle)  # a far jump from the search's scale to the top: one look between
        if seconds is not None and seconds <= SEARCH_CALL_S:
            search = middle
    return search


def grown_scale(original: Target, sandbox: SandboxConfig, make: Maker, *,
                ladder: Sequence[int] = SIZE_LADDER) -> int:
    """The top scale of :func:`grown_scales`."""
    return grown_scales(original, sandbox, make, ladder=ladder)[1]


# ---------------------------------------------------------------- sizes beyond the ladder


LARGE_SIZES = (10**6 + 1, 2**20 + 1, 2**31, 2**32 + 1, 2**63, 10**18)
"""Values a size int also takes held out, above the ladder's top, where the original answers
them within :data:`CALL_LIMIT_S` of CPU time (a logarithmic or capped loop, an early return
or raise; a linear loop does not): a rewrite that drops a cap or a branch taken only above
the ladder meets them."""


def large_size_calls(original: Target, params: Params | Sequence[Spec], sandbox: SandboxConfig, *, scale: int,
                     seed: int) -> list[Call]:
    """Held-out calls in which one size int (a top-level parameter, or the one element of a
    sequence of sizes) takes a value of :data:`LARGE_SIZES` above ``scale``, the others
    small values: those the original answers within :data:`CALL_LIMIT_S` of CPU time each
    (it returns, or raises an exception of its
    own: not MemoryError, RecursionError or an OverflowError past the platform's index
    size, limits of where it runs that a right rewrite may meet elsewhere), found in one
    sandbox run (:func:`polca.sandbox.measure.time_calls`), so linear code pays one short
    limit per value, never a run's timeout."""
    params = _params(params)
    rng = random.Random(seed + HELDOUT_SEED_OFFSET - 1)
    calls = []
    for index, spec in enumerate(params.specs):
        size = _size_of(spec)
        if size is None:
            continue
        for value in sorted({_clamp(size, v) for v in LARGE_SIZES}):
            if value > scale:
                values = _Gen(rng, heldout=True, magnitude=8, scale=8).values(params.specs, 8, params.names)
                large = _as_kind([value], spec.kind) if isinstance(spec, SequenceSpec) else value
                calls.append(params.call([*values[:index], large, *values[index + 1:]]))
    if not calls:
        return []
    timeout_s = min(PROBE_TIMEOUT_S + 4 * CALL_LIMIT_S * len(calls), sandbox.timeout_s * SELF_CHECK)
    times = time_calls(original, calls, call_limit_s=CALL_LIMIT_S, backend=backend_of(sandbox),
                       limits=Limits(timeout_s=timeout_s, memory_mb=sandbox.memory_mb))
    if times.status != "ok":
        log.info("%s: no large sizes held out (%s)", original.qualname, times.message or times.status)
        return []
    return [call for call, t in zip(calls, times.calls, strict=True)
            if t.status == "returned" or (t.status == "raised" and t.error != "OverflowError")]


def _size_of(spec: Spec) -> IntSpec | None:
    """The size int ``spec`` is, or holds as the elements of a sequence (``for n in sizes:
    while p < n``); None for anything else."""
    item = spec.item if isinstance(spec, SequenceSpec) else spec
    return item if isinstance(item, IntSpec) and item.role == "size" else None


def scales(original: Target, params: Params | Sequence[Spec], sandbox: SandboxConfig, *, seed: int,
           size: int | None = None) -> tuple[int, int]:
    """(search scale, held-out scale) of a target, grown by timing the original. ``size``
    (``--size``) sets the search's scale; held-out then uses the larger of it and the top."""
    params = _params(params)
    if params.specs:
        def make(n: int) -> Call:
            return call_at(params, n, random.Random(seed + HELDOUT_SEED_OFFSET + n))

        search, top = grown_scales(original, sandbox, make)
    else:
        search, top = SIZE_LADDER[0], SIZE_LADDER[0]
    if size is not None:
        return size, max(size, top)
    return search, top
