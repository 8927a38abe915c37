"""The types of values a program's parameters take.

A :class:`Spec` is what :mod:`polca.skills.analysis.infer` finds for a parameter (from a
hint or from usage) and what the oracle's input generation draws values from. Specs are
frozen data, small enough to store and to print (:func:`describe`):

    ListSpec(RecordSpec((("id", IntSpec()), ("tags", ListSpec(StrSpec())))))
    -> "list[{id: int, tags: list[str]}]"

Integers carry a *role*: a ``size`` (it reaches ``range()``, a repeat count, a recursion
depth) grows with the input's scale like a container's length; a ``value`` spans the
integers' real range; an ``index`` stays inside the containers it indexes.

Classes and enums of the user's module are named by qualified name (``InstanceSpec``,
``EnumSpec``); their values are built inside the sandbox, where the module is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

IntRole = Literal["value", "size", "index"]
SequenceKind = Literal["list", "tuple", "set", "frozenset", "iterator", "deque"]
MappingKind = Literal["dict", "counter", "defaultdict"]
TypeSource = Literal["annotation", "usage", "default", "docstring", "call site", "trace"]


@dataclass(frozen=True)
class Spec:
    """Base of every value type."""


@dataclass(frozen=True)
class IntSpec(Spec):
    role: IntRole = "value"
    low: int | None = None  # inclusive bounds the function is known to accept, when known
    high: int | None = None
    of: str | None = None  # role "index": the parameter it indexes (stays below its length)
    examples: tuple[int, ...] = ()  # constants the body compares it with: generation draws them too


@dataclass(frozen=True)
class FloatSpec(Spec):
    finite: bool = False  # True: no inf/nan (e.g. the body compares or rounds it)


@dataclass(frozen=True)
class BoolSpec(Spec):
    pass


@dataclass(frozen=True)
class StrSpec(Spec):
    alphabet: str | None = None  # the characters it is made of, when known (e.g. "01", digits)
    examples: tuple[str, ...] = ()  # constants the body compares it with: generation draws them too


@dataclass(frozen=True)
class BytesSpec(Spec):
    pass


@dataclass(frozen=True)
class NoneSpec(Spec):
    pass


@dataclass(frozen=True)
class SequenceSpec(Spec):
    """A homogeneous container: ``list[int]``, ``set[str]``, an iterator of floats."""

    item: Spec
    kind: SequenceKind = "list"


@dataclass(frozen=True)
class TupleSpec(Spec):
    """A fixed-length tuple with one type per position."""

    items: tuple[Spec, ...]


@dataclass(frozen=True)
class DictSpec(Spec):
    key: Spec
    value: Spec
    kind: MappingKind = "dict"  # a Counter, or a defaultdict whose factory makes a ``value``


@dataclass(frozen=True)
class RecordSpec(Spec):
    """A dict with known string keys (a ``TypedDict``, or ``n["id"]`` read in the body)."""

    fields: tuple[tuple[str, Spec], ...]


@dataclass(frozen=True)
class ArraySpec(Spec):
    """A numpy array."""

    dtype: str = "float64"
    ndim: int = 1


@dataclass(frozen=True)
class CallableSpec(Spec):
    """A function passed in; generation offers a few pure functions of this arity."""

    arity: int = 1
    returns: Spec | None = None
    args: tuple[Spec, ...] = ()


@dataclass(frozen=True)
class InstanceSpec(Spec):
    """An instance of a class of the user's module, built by calling it with these arguments
    (from ``__init__``'s parameters, dataclass fields or NamedTuple fields)."""

    qualname: str
    args: tuple[Spec, ...] = ()
    kwargs: tuple[tuple[str, Spec], ...] = ()


@dataclass(frozen=True)
class ClassSpec(Spec):
    """A class of the user's module itself: the ``cls`` a classmethod is called with."""

    qualname: str


@dataclass(frozen=True)
class EnumSpec(Spec):
    """A member of an ``Enum`` of the user's module."""

    qualname: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class ChoiceSpec(Spec):
    """Exactly one of ``values`` (``Literal["add", "sub"]``, ``Literal[1, 10, 100]``)."""

    values: tuple[object, ...]


@dataclass(frozen=True)
class UnionSpec(Spec):
    """One of several types (``Optional[X]`` is ``UnionSpec((X, NoneSpec()))``)."""

    options: tuple[Spec, ...]


def number(whole: IntSpec, finite: bool = False) -> UnionSpec:
    """A value the body only computes with as a number (arithmetic, comparison, ``sum``,
    ``abs``...): nothing in it needs an int, so callers may pass either; the input generator
    draws ints and floats (and lists of both, mixed and not)."""
    return UnionSpec((whole, FloatSpec(finite)))


def is_number(spec: Spec | None) -> bool:
    """``spec`` is a :func:`number`: an int or a float."""
    return (isinstance(spec, UnionSpec) and len(spec.options) == 2 and isinstance(spec.options[0], IntSpec)
            and isinstance(spec.options[1], FloatSpec))


@dataclass(frozen=True)
class ParamType:
    """What is known of one parameter: its type and where it came from, or why there is none.

    ``spec`` is None when no type could be found; ``why`` then says what was missing and
    what the user can give (a hint, a default, tests).
    """

    name: str
    spec: Spec | None
    source: TypeSource | None = None
    why: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def describe(spec: Spec | None) -> str:
    """A short readable form of ``spec``, e.g. ``list[{id: int}]`` or ``Stop(int, float)``."""
    match spec:
        case None:
            return "?"
        case IntSpec(role="value"):
            return "int"
        case IntSpec(role=role):
            return f"int ({role})"
        case FloatSpec():
            return "float"
        case BoolSpec():
            return "bool"
        case StrSpec():
            return "str"
        case BytesSpec():
            return "bytes"
        case NoneSpec():
            return "None"
        case SequenceSpec(item=item, kind=kind):
            return f"{kind}[{describe(item)}]"
        case TupleSpec(items=items):
            return "tuple[" + ", ".join(describe(i) for i in items) + "]"
        case DictSpec(key=key, kind="counter"):
            return f"Counter[{describe(key)}]"
        case DictSpec(key=key, value=value, kind=kind):
            return f"{kind}[{describe(key)}, {describe(value)}]"
        case RecordSpec(fields=fields):
            return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in fields) + "}"
        case ArraySpec(dtype=dtype, ndim=ndim):
            return f"ndarray[{dtype}, {ndim}d]"
        case CallableSpec(arity=arity):
            return f"callable/{arity}"
        case InstanceSpec(qualname=name, args=args, kwargs=kwargs):
            parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs]
            return f"{name}({', '.join(parts)})"
        case EnumSpec(qualname=name):
            return name
        case ClassSpec(qualname=name):
            return f"the class {name}"
        case ChoiceSpec(values=values):
            return "Literal[" + ", ".join(repr(v) for v in values) + "]"
        case UnionSpec(options=options):
            return " | ".join(describe(o) for o in options)
    return type(spec).__name__
