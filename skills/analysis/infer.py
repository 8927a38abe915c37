"""The types of a function's parameters, read from its source without running it.

    parameter_types(source, "top_k")      # (ParamType(name="items", spec=SequenceSpec(...)), ...)
    receiver_type(source, "Graph.bfs")    # how to build the Graph a method is called on
    class_spec(source, "Point")           # InstanceSpec("Point", args=(FloatSpec(), FloatSpec()))

Sources, strongest first (``ParamType.source`` names the one that gave the type):

1. the annotation (every shape of ``typing``, ``collections.abc``, numpy hints, the module's
   own dataclasses, NamedTuples, TypedDicts, Enums and classes, string annotations);
2. the default (``n=10`` is an int; ``items=None`` makes the type Optional);
3. how the body uses the name (:mod:`.infer_usage` reads the facts, :mod:`.infer_resolve`
   decides): ``for n in nodes: n["id"] + 1``;
4. the docstring (Google, NumPy and Sphinx styles, :mod:`.infer_doc`);
5. calls of the function elsewhere in the file with literal arguments (:mod:`.infer_sources`).

A weaker source refines a stronger one: a hint ``int`` with ``range(n)`` in the body gives
``IntSpec(role="size")``; a bare ``list`` hint takes its item type from the usage. Parsing
uses :mod:`ast` (milliseconds per function); nothing imports or runs the user's code.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from polca.parsing import parse_python
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
    TypeSource,
    UnionSpec,
    describe,
    is_number,
)

FuncNode = ast.FunctionDef | ast.AsyncFunctionDef
Path = tuple[str, ...]  # a part of a parameter: ("rows", "[]", "k:size")


@dataclass(frozen=True)
class Hole(Spec):
    """A part of a type not known yet (a bare ``list``'s item, ``Any``); later sources fill it,
    and :func:`finish` turns what is left into ``int`` with a note."""


class NoType(Exception):
    """Raised inside the analysis when a hint names a type that cannot be generated."""


@dataclass
class Module:
    """One parsed module: its classes and functions by qualified name, its imports."""

    tree: ast.Module
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    functions: dict[str, FuncNode] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # method qualname -> class qualname
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    aliases: dict[str, ast.expr] = field(default_factory=dict)  # module-level type aliases
    typevars: set[str] = field(default_factory=set)
    cache: dict[str, object] = field(default_factory=dict)  # derived tables, computed once


@functools.lru_cache(maxsize=64)
def module_index(source: str) -> Module:
    """Parse ``source`` once (cached) and index it; ValueError when it does not parse."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"source does not parse ({exc}); give valid Python source") from None
    mod = Module(tree)
    _index_body(mod, tree.body, "")
    calls, assigns = [], []  # kept for the call-site source, collected in this one walk
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.Assign):
            assigns.append(node)
        elif isinstance(node, ast.Import):
            for a in node.names:
                mod.imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:  # from . import slow: the sibling module slow
                mod.imports[a.asname or a.name] = f"{node.module}.{a.name}" if node.module else a.name
    mod.cache["call_nodes"], mod.cache["assign_nodes"] = calls, assigns
    for stmt in tree.body:
        _index_alias(mod, stmt)
    return mod


def _index_body(mod: Module, body: list[ast.stmt], prefix: str) -> None:
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            name = prefix + stmt.name
            mod.classes[name] = stmt
            _index_body(mod, stmt.body, name + ".")
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mod.functions[prefix + stmt.name] = stmt
            if prefix:
                mod.owner[prefix + stmt.name] = prefix[:-1]
        elif isinstance(stmt, (ast.If, ast.Try)) and not prefix:
            # definitions under `if TYPE_CHECKING:` / `try: ... except ImportError:` still count
            handlers = [h.body for h in getattr(stmt, "handlers", [])]
            for part in (stmt.body, *handlers, stmt.orelse, getattr(stmt, "finalbody", [])):
                _index_body(mod, part, prefix)


def _index_alias(mod: Module, stmt: ast.stmt) -> None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        name, value = stmt.targets[0].id, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        name, value = stmt.target.id, stmt.value
    else:
        return
    if isinstance(value, ast.Call) and dotted(value.func) in ("TypeVar", "typing.TypeVar"):
        mod.typevars.add(name)
    elif isinstance(value, (ast.Subscript, ast.BinOp, ast.Attribute)) or (
        isinstance(value, ast.Name) and value.id != name
    ):
        mod.aliases[name] = value


def dotted(node: ast.AST) -> str | None:
    """``np.linalg.norm`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def find_function(mod: Module, qualname: str) -> FuncNode:
    func = mod.functions.get(qualname)
    if func is None:
        known = ", ".join(sorted(mod.functions)[:12]) or "none"
        raise ValueError(
            f"{qualname!r} is not a function of this module (functions: {known}); "
            "give 'f' or 'Class.method'"
        )
    return func


def decorator_names(func: FuncNode | ast.ClassDef) -> set[str]:
    """Last parts of the decorators' names: ``{"staticmethod", "dataclass"}``."""
    names = set()
    for d in func.decorator_list:
        name = dotted(d.func if isinstance(d, ast.Call) else d)
        if name:
            names.add(name.rsplit(".", 1)[-1])
    return names


def is_method(mod: Module, qualname: str) -> bool:
    """A function defined in a class and called on an instance (not static, not class)."""
    func = find_function(mod, qualname)
    return qualname in mod.owner and not decorator_names(func) & {"staticmethod", "classmethod"}


def signature(mod: Module, qualname: str) -> list[tuple[ast.arg, ast.expr | None]]:
    """The parameters that callers pass, with their defaults: no self/cls, no *args/**kwargs."""
    func = find_function(mod, qualname)
    a = func.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    pairs = list(zip(positional, defaults, strict=True))
    pairs += list(zip(a.kwonlyargs, a.kw_defaults, strict=True))
    if qualname in mod.owner and "staticmethod" not in decorator_names(func) and positional:
        pairs = pairs[1:]
    return pairs


def finish(spec: Spec | None, notes: list[str], name: str) -> Spec | None:
    """Replace the holes left in ``spec`` by ``int`` and say so in ``notes``."""
    if spec is None:
        return None
    filled = _fill_holes(spec)
    if filled != spec:
        notes.append(f"{name}: part of its type is unknown; int assumed there (str for dict keys); "
                     "add a hint such as list[int] to be sure")
    return filled


def _fill_holes(spec: Spec) -> Spec:
    match spec:
        case Hole():
            return IntSpec()
        case SequenceSpec(item=item, kind=kind):
            return SequenceSpec(_fill_holes(item), kind)
        case TupleSpec(items=items):
            return TupleSpec(tuple(_fill_holes(i) for i in items))
        case DictSpec(key=key, value=value):
            return DictSpec(_fill_holes(key) if not isinstance(key, Hole) else StrSpec(), _fill_holes(value),
                            spec.kind)
        case RecordSpec(fields=fields):
            return RecordSpec(tuple((k, _fill_holes(v)) for k, v in fields))
        case UnionSpec(options=options):
            return UnionSpec(tuple(_fill_holes(o) for o in options))
        case CallableSpec(arity=arity, returns=returns, args=args):
            return CallableSpec(arity, None if returns is None else _fill_holes(returns),
                                tuple(_fill_holes(a) for a in args))
        case InstanceSpec(qualname=q, args=args, kwargs=kwargs):
            return InstanceSpec(q, tuple(_fill_holes(a) for a in args),
                                tuple((k, _fill_holes(v)) for k, v in kwargs))
    return spec


def union(options: list[Spec]) -> Spec:
    """A flat union without repeats; one option is itself."""
    flat: list[Spec] = []
    for o in options:
        for x in (o.options if isinstance(o, UnionSpec) else (o,)):
            if x not in flat:
                flat.append(x)
    return flat[0] if len(flat) == 1 else UnionSpec(tuple(flat))


def refine(base: Spec | None, other: Spec | None) -> Spec | None:
    """``base`` (from the stronger source) completed by ``other``: holes filled, an int's role
    and bounds, an array's ndim, a callable's arity. Where they disagree, ``base`` wins."""
    if base is None or isinstance(base, Hole):
        return other if other is not None else base
    if other is None or isinstance(other, Hole):
        return base
    match base, other:
        case IntSpec(), IntSpec():
            role = other.role if base.role == "value" else base.role
            return IntSpec(role, base.low if base.low is not None else other.low,
                           base.high if base.high is not None else other.high, base.of or other.of)
        case SequenceSpec(), SequenceSpec():
            return SequenceSpec(refine(base.item, other.item), base.kind)
        case DictSpec(), DictSpec():
            return DictSpec(refine(base.key, other.key), refine(base.value, other.value),
                            base.kind if base.kind != "dict" else other.kind)
        case DictSpec(), RecordSpec() if isinstance(base.value, Hole):
            return other
        case RecordSpec(), RecordSpec():
            theirs = dict(other.fields)
            return RecordSpec(tuple((k, refine(v, theirs.get(k))) for k, v in base.fields))
        case TupleSpec(), TupleSpec() if len(base.items) == len(other.items):
            return TupleSpec(tuple(refine(a, b) for a, b in zip(base.items, other.items, strict=True)))
        case SequenceSpec(kind="tuple"), TupleSpec() if isinstance(base.item, Hole):
            return other
        case ArraySpec(), ArraySpec():
            return ArraySpec(base.dtype, other.ndim)
        case ArraySpec(), SequenceSpec():
            return ArraySpec(base.dtype, _nesting(other))  # `for row in a: for x in row`
        case CallableSpec(), CallableSpec() if not base.args:
            return CallableSpec(other.arity, refine(base.returns, other.returns), other.args)
        case UnionSpec(), _:
            return UnionSpec(tuple(refine(o, other) if type(o) is type(other) else o for o in base.options))
    return base


def _nesting(spec: Spec) -> int:
    n = 0
    while isinstance(spec, SequenceSpec) and n < 8:
        spec, n = spec.item, n + 1
    return n


# ---------------------------------------------------------------- annotations

_SEQUENCES = {
    "list": "list", "List": "list", "Sequence": "list", "MutableSequence": "list",
    "Iterable": "list", "Collection": "list", "Reversible": "list", "ValuesView": "list",
    "Iterator": "iterator", "Generator": "iterator", "deque": "deque", "Deque": "deque",
    "set": "set", "Set": "set", "MutableSet": "set", "AbstractSet": "set", "KeysView": "set",
    "frozenset": "frozenset", "FrozenSet": "frozenset",
}
_MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "ChainMap"}
_SCALARS: dict[str, Spec] = {
    "int": IntSpec(), "float": FloatSpec(), "bool": BoolSpec(), "str": StrSpec(),
    "bytes": BytesSpec(), "None": NoneSpec(), "NoneType": NoneSpec(), "SupportsInt": IntSpec(),
    "SupportsFloat": FloatSpec(), "Text": StrSpec(), "AnyStr": StrSpec(), "Hashable": IntSpec(),
}
_ANY = {"Any", "object", "Sized"}
_KNOWN_MODULES = {"", "typing", "typing_extensions", "collections", "collections.abc", "builtins",
                  "numpy", "numpy.typing", "abc", "dataclasses"}
_PLAIN_BASES = {"object", "ABC", "Generic", "Protocol", "abc.ABC", "typing.Generic", "typing.Protocol"}
_DTYPES = {"float64": "float64", "float_": "float64", "double": "float64", "float": "float64",
           "floating": "float64", "float32": "float32", "single": "float32", "int64": "int64",
           "int_": "int64", "int": "int64", "integer": "int64", "intp": "int64", "int32": "int32",
           "int8": "int8", "uint8": "uint8", "bool_": "bool", "bool": "bool", "complex128": "complex128",
           "complex_": "complex128", "complex": "complex128", "float16": "float16", "uint64": "uint64"}


@dataclass
class HintReader:
    """Turns annotation expressions of ``mod`` into specs (with :class:`Hole` where the hint
    leaves a part open); raises :class:`NoType` with the reason when it cannot."""

    mod: Module
    notes: list[str] = field(default_factory=list)
    visiting: frozenset[str] = frozenset()

    def spec(self, node: ast.expr) -> Spec:
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return union([self.spec(node.left), self.spec(node.right)])
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        name = dotted(node)
        if name is None:
            raise NoType(f"the hint {_text(node)} is not a type polca can read; write e.g. list[int]")
        return self._named(name, [], node)

    def _constant(self, value: object) -> Spec:
        if value is None:
            return NoneSpec()
        if isinstance(value, str):
            try:
                return self.spec(parse_python(value.strip(), mode="eval").body)
            except SyntaxError:
                raise NoType(f"the string hint {value!r} does not parse; write e.g. 'list[int]'") from None
        raise NoType(f"the hint {value!r} is not a type; write e.g. list[int]")

    def _subscript(self, node: ast.Subscript) -> Spec:
        name = dotted(node.value)
        if name is None:
            raise NoType(f"the hint {_text(node)} is not a type polca can read; write e.g. list[int]")
        sl = node.slice
        args = list(sl.elts) if isinstance(sl, ast.Tuple) and sl.elts else [sl]  # tuple[()] keeps its ()
        return self._named(name, args, node)

    def _named(self, name: str, args: list[ast.expr], node: ast.expr) -> Spec:
        head, _, rest = name.partition(".")
        origin = self.mod.imports.get(head)
        full = f"{origin}.{rest}" if origin and rest else origin or name
        if origin is None and name in self.mod.classes:
            return self._user_class(name)
        if origin is None and name in self.mod.aliases and name not in self.visiting:
            inner = HintReader(self.mod, self.notes, self.visiting | {name})
            return inner.spec(self.mod.aliases[name])
        if origin is None and name in self.mod.typevars:
            self.notes.append(f"type variable {name}: int assumed")
            return IntSpec()
        module, _, last = full.rpartition(".")
        if module in ("np", "npt"):
            module = "numpy"
        if module not in _KNOWN_MODULES or (origin is None and module):
            raise NoType(f"the hint {_text(node)} names {full}, a type polca cannot see in this file; "
                         "use a builtin hint such as list[int] or a class defined in the file")
        raw = last in ("Literal", "Callable", "Annotated", "NDArray", "ndarray", "tuple", "Tuple")
        return self._generic(last, args if raw else [self.spec(a) for a in args], node)

    def _generic(self, last: str, args: list, node: ast.expr) -> Spec:
        if last in _SCALARS and not args:
            return _SCALARS[last]
        if last in _ANY:
            return Hole()
        if last in _SEQUENCES:
            return SequenceSpec(args[0] if args else Hole(), _SEQUENCES[last])  # type: ignore[arg-type]
        if last in ("tuple", "Tuple"):
            return self._tuple(args)
        if last in _MAPPINGS or last in ("defaultdict", "DefaultDict"):
            kind = "dict" if last in _MAPPINGS else "defaultdict"
            return DictSpec(args[0], args[1], kind) if len(args) >= 2 else DictSpec(Hole(), Hole(), kind)
        if last == "Counter":
            return DictSpec(args[0] if args else Hole(), IntSpec(), "counter")
        if last == "Optional" and args:
            return union([args[0], NoneSpec()])
        if last == "Union" and args:
            return union(args)
        if last in ("Annotated", "Final", "ClassVar", "Required", "NotRequired", "ReadOnly", "InitVar") and args:
            return self.spec(args[0])
        if last == "Literal" and args:
            return _literal(args, node)
        if last == "Callable":
            return self._callable(args)
        if last in ("ndarray", "NDArray", "ArrayLike"):
            return ArraySpec(_dtype(args))
        raise NoType(f"the hint {_text(node)} is not a type polca can generate; write e.g. list[int]")

    def _tuple(self, args: list[ast.expr]) -> Spec:
        if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
            return SequenceSpec(self.spec(args[0]), "tuple")
        if not args:
            return SequenceSpec(Hole(), "tuple")
        if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:
            return TupleSpec(())  # tuple[()]
        return TupleSpec(tuple(self.spec(a) for a in args))

    def _callable(self, args: list[ast.expr]) -> Spec:
        returns = self.spec(args[1]) if len(args) == 2 else None
        if args and isinstance(args[0], ast.List):
            params = tuple(self.spec(a) for a in args[0].elts)
            return CallableSpec(len(params), returns, params)
        return CallableSpec(1, returns)

    def _user_class(self, qualname: str) -> Spec:
        cls = self.mod.classes[qualname]
        kind = class_kind(self.mod, cls)
        if kind == "enum":
            return EnumSpec(qualname, enum_members(cls))
        if kind == "typeddict":
            return RecordSpec(tuple((n, self.spec(a)) for n, a, _ in class_fields(self.mod, qualname)))
        if qualname in self.visiting:
            raise NoType(f"{qualname} contains itself; give it a default of None")
        return instance_spec(self.mod, qualname, self.visiting | {qualname})


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # ast.unparse fails on some synthetic trees; the message still helps
        return type(node).__name__


def _literal(args: list[ast.expr], node: ast.expr) -> Spec:
    values = [a.value for a in args if isinstance(a, ast.Constant)]
    if len(values) != len(args):
        raise NoType(f"the hint {_text(node)} mixes literal kinds; write e.g. Literal[1, 2]")
    if all(isinstance(v, bool) for v in values):
        return BoolSpec()
    if values and all(isinstance(v, int | str) and not isinstance(v, bool) for v in values):
        if len({type(v) for v in values}) == 1:  # exactly these values: each branch on them runs
            return ChoiceSpec(tuple(dict.fromkeys(values)))
    raise NoType(f"the hint {_text(node)} mixes literal kinds; write e.g. Literal[1, 2]")


def _dtype(args: list[ast.expr]) -> str:
    """The dtype named in ``NDArray[np.int64]`` or ``np.ndarray[Any, np.dtype[np.float32]]``."""
    for a in reversed(args):
        if isinstance(a, ast.Subscript):
            return _dtype([a.slice])
        name = dotted(a)
        if name and name.rsplit(".", 1)[-1] in _DTYPES:
            return _DTYPES[name.rsplit(".", 1)[-1]]
    return "float64"


# ---------------------------------------------------------------- classes

def class_kind(mod: Module, cls: ast.ClassDef) -> str:
    """``enum``, ``typeddict``, ``namedtuple``, ``fields`` (dataclass, attrs, pydantic) or
    ``plain``; a base class of the module passes its kind on."""
    if decorator_names(cls) & {"dataclass", "define", "frozen", "mutable", "attrs"}:
        return "keywords" if _kw_only(cls) else "fields"
    for base in cls.bases:
        name = dotted(base.value if isinstance(base, ast.Subscript) else base) or ""
        last = name.rsplit(".", 1)[-1]
        if last in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"):
            return "enum"
        if last == "TypedDict":
            return "typeddict"
        if last == "NamedTuple":
            return "namedtuple"
        if last == "BaseModel":
            return "keywords"  # pydantic models take keyword arguments only
        if name in mod.classes and mod.classes[name] is not cls:
            kind = class_kind(mod, mod.classes[name])
            if kind != "plain":
                return kind
    return "plain"


def _kw_only(cls: ast.ClassDef) -> bool:
    return any(isinstance(d, ast.Call) and any(
        k.arg == "kw_only" and isinstance(k.value, ast.Constant) and k.value.value is True for k in d.keywords)
        for d in cls.decorator_list)


def enum_members(cls: ast.ClassDef) -> tuple[str, ...]:
    names = []
    for stmt in cls.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if (
            isinstance(stmt, ast.AnnAssign) and stmt.value is not None) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and not t.id.startswith("_")]
    return tuple(names)


def class_fields(mod: Module, qualname: str) -> list[tuple[str, ast.expr, bool]]:
    """(name, annotation, has_default) of the annotated fields of a dataclass-like class,
    base classes of the module first; ClassVars and ``field(init=False)`` left out."""
    cls = mod.classes[qualname]
    out: list[tuple[str, ast.expr, bool]] = []
    for base in cls.bases:
        name = dotted(base)
        if name in mod.classes and name != qualname:
            out += class_fields(mod, name)
    for stmt in cls.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        if "ClassVar" in _text(stmt.annotation) or _not_in_init(stmt.value):
            continue
        has_default = stmt.value is not None and not _field_without_default(stmt.value)
        out = [f for f in out if f[0] != stmt.target.id] + [(stmt.target.id, stmt.annotation, has_default)]
    return out


def _not_in_init(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Call) and any(
        k.arg == "init" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in value.keywords)


def _field_without_default(value: ast.expr) -> bool:
    """``field()`` / ``attrs.field()`` with neither default nor factory: still required."""
    if not (isinstance(value, ast.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in ("field", "ib", "Field")):
        return False
    return not any(k.arg in ("default", "default_factory", "factory") for k in value.keywords) and not value.args


def instance_spec(mod: Module, qualname: str, visiting: frozenset[str] = frozenset()) -> Spec:
    """How to call class ``qualname`` of the module: required arguments positionally, optional
    ones that can be typed by keyword. Raises NoType naming the parameter that cannot be typed.

    Results are kept per module; a class reached again while it is being built (through a
    hint, or through usage matching its attributes) is refused rather than followed."""
    built: dict[str, Spec | NoType] = mod.cache.setdefault("instances", {})  # type: ignore[assignment]
    building: set[str] = mod.cache.setdefault("building", set())  # type: ignore[assignment]
    if qualname in built:
        found = built[qualname]
        if isinstance(found, NoType):
            raise found
        return found
    if qualname in building:
        raise NoType(f"{qualname} contains itself; give that parameter a default of None")
    top = not building
    building.add(qualname)
    try:
        spec = _build_instance(mod, qualname, visiting)
    except NoType as exc:
        if top:
            built[qualname] = exc  # a refusal found while other classes were open may be theirs
        raise
    finally:
        building.discard(qualname)
    built[qualname] = spec
    return spec


def _build_instance(mod: Module, qualname: str, visiting: frozenset[str]) -> Spec:
    cls = mod.classes[qualname]
    kind = class_kind(mod, cls)
    if kind == "enum":
        return EnumSpec(qualname, enum_members(cls))
    if kind in ("fields", "keywords", "namedtuple", "typeddict"):
        reader = HintReader(mod, [], visiting | {qualname})
        params = [(n, _safe(reader, a), d) for n, a, d in class_fields(mod, qualname)]
    else:
        init = _find_init(mod, qualname)
        if init is None:
            _check_bases(mod, cls)
            return InstanceSpec(qualname)
        types = param_types(mod, init, visiting | {qualname})
        params = [(t.name, (t.spec, t.why), d is not None) for t, (_, d) in zip(types, signature(mod, init), strict=True)]
    return _constructor(qualname, kind, params)


def _safe(reader: HintReader, annotation: ast.expr) -> tuple[Spec | None, str]:
    try:
        return finish(reader.spec(annotation), reader.notes, "field"), ""
    except NoType as exc:
        return None, str(exc)


def _constructor(qualname: str, kind: str, params: list[tuple[str, tuple[Spec | None, str], bool]]) -> Spec:
    args: list[Spec] = []
    kwargs: list[tuple[str, Spec]] = []
    for name, (spec, why), optional in params:
        if spec is None and not optional:
            raise NoType(f"{qualname}({name}) cannot be typed: {why or 'add a hint to ' + name}")
        if spec is None:
            continue
        if optional or kind in ("typeddict", "keywords") or kwargs:
            kwargs.append((name, spec))
        else:
            args.append(spec)
    if kind == "typeddict":
        return RecordSpec(tuple(kwargs))
    return InstanceSpec(qualname, tuple(args), tuple(kwargs))


def _check_bases(mod: Module, cls: ast.ClassDef) -> None:
    """A class without ``__init__`` is built by its bases' constructors: those must be known."""
    for base in cls.bases:
        name = dotted(base.value if isinstance(base, ast.Subscript) else base) or _text(base)
        if name in mod.classes:
            _check_bases(mod, mod.classes[name])
        elif name not in _PLAIN_BASES and mod.imports.get(name.split(".")[0], name) not in _PLAIN_BASES \
                and not name.startswith(("typing.", "abc.")):
            raise NoType(f"{cls.name} is built by the constructor of its base {name}, which is not in "
                         "this file; give the class an __init__ with hints, or hint the parameter differently")


def _find_init(mod: Module, qualname: str) -> str | None:
    """The qualname of the ``__init__`` the class runs (its own or a module base class's)."""
    if f"{qualname}.__init__" in mod.functions:
        return f"{qualname}.__init__"
    for base in mod.classes[qualname].bases:
        name = dotted(base)
        if name in mod.classes and name != qualname:
            found = _find_init(mod, name)
            if found:
                return found
    return None


# ---------------------------------------------------------------- parameters

@dataclass
class Evidence:
    """What one source says of one parameter."""

    source: TypeSource
    spec: Spec | None
    why: str = ""
    notes: tuple[str, ...] = ()


def param_types(mod: Module, qualname: str, visiting: frozenset[str] = frozenset(),
                outside: dict[str, Spec] | None = None) -> list[ParamType]:
    """The ParamType of each parameter of ``qualname`` (see :func:`parameter_types`);
    ``outside``: types other modules' call sites pass, weakest of all."""
    from polca.skills.analysis.infer_sources import other_evidence

    pairs = signature(mod, qualname)
    extra = other_evidence(mod, qualname, [a.arg for a, _ in pairs])
    for name, spec in (outside or {}).items():
        extra.setdefault(name, []).append(Evidence("call site", spec))
    compared = compared_constants(find_function(mod, qualname), module_constants(mod))
    out = []
    handed: dict[str, tuple[str, Spec]] | None = None
    for arg, default in pairs:
        notes: list[str] = []
        found = [_annotation(mod, arg, notes, visiting), _default_evidence(mod, default)]
        found += extra.get(arg.arg, [])
        param = _combine(arg.arg, found, notes)
        if param.spec is None and not found[0].why:  # nothing here says: what the callee makes of it
            handed = _handed_on(mod, qualname, visiting | {qualname}) if handed is None else handed
            if arg.arg in handed:
                callee, spec = handed[arg.arg]
                said = f"{arg.arg} is passed on to {callee}, which takes it as {describe(spec)}"
                found.append(Evidence("usage", spec, notes=(said,)))
                param = _combine(arg.arg, found, notes)
        param = with_examples(param, compared.get((arg.arg,), ()))
        for path, constants in compared.items():
            if len(path) > 1 and path[0] == arg.arg and param.spec is not None:
                param = replace(param, spec=_examples_at(param.spec, path[1:], constants))
        out.append(param)
    return _sizes_passed_on(mod, qualname, out, visiting | {qualname})


def _sizes_passed_on(mod: Module, qualname: str, types: list[ParamType],
                     visiting: frozenset[str]) -> list[ParamType]:
    """An int handed straight to a function of the module whose parameter is a size is a
    size too (``run(n)`` calling ``fetch(n)``, which loops ``range(n)``): generated as a
    value it would reach 10**18 and hang the original."""
    values = {t.name for t in types if _int_part(t.spec) is not None and _int_part(t.spec).role == "value"}
    sizes = {ours: callee for callee, ours, spec in _passed_on(mod, qualname, values, visiting)
             if isinstance(spec, IntSpec) and spec.role == "size"}
    return [replace(t, spec=replace(_int_part(t.spec), role="size"),
                    notes=(*t.notes, f"a size: {sizes[t.name]} loops over it")) if t.name in sizes else t
            for t in types]


def _handed_on(mod: Module, qualname: str, visiting: frozenset[str]) -> dict[str, tuple[str, Spec]]:
    """For each parameter of ``qualname`` handed unchanged to a function of the module, that
    function and the type it gives the parameter it lands in (``count_change(amount)``
    calling ``_count(amount, ...)``, which compares and subtracts it): the first typed one."""
    names = {a.arg for a, _ in signature(mod, qualname)}
    handed: dict[str, tuple[str, Spec]] = {}
    for callee, ours, spec in _passed_on(mod, qualname, names, visiting):
        if spec is not None:
            handed.setdefault(ours, (callee, spec))
    return handed


def _passed_on(mod: Module, qualname: str, names: set[str], visiting: frozenset[str]):
    """``(callee, name, spec)`` for each of ``names`` passed as a bare argument to a function
    of the module not already being typed (``visiting``), with the type that function gives
    the parameter it lands in (None when it has none)."""
    for node in ast.walk(find_function(mod, qualname)) if names else ():
        callee = _module_callee(mod, qualname, node)
        if callee is None or callee in visiting:
            continue
        params = [a.arg for a, _ in signature(mod, callee)]
        passed = [(params[i], a) for i, a in enumerate(node.args[:len(params)])]
        passed += [(k.arg, k.value) for k in node.keywords if k.arg in params]
        passed = [(p, a.id) for p, a in passed if isinstance(a, ast.Name) and a.id in names]
        if not passed:
            continue
        callee_types = {t.name: t.spec for t in param_types(mod, callee, visiting | {callee})}
        for param, ours in passed:
            yield callee, ours, callee_types.get(param)


def _int_part(spec: Spec | None) -> IntSpec | None:
    """An int spec itself, or the int a :func:`~.types.number` may be."""
    if is_number(spec):
        return spec.options[0]  # type: ignore[union-attr]
    return spec if isinstance(spec, IntSpec) else None


def _module_callee(mod: Module, qualname: str, node: ast.AST) -> str | None:
    """The qualified name of the module's function ``node`` calls (``g(...)``, or
    ``self.g(...)`` inside a method of the same class), else None."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name) and node.func.id in mod.functions and node.func.id not in mod.owner:
        return node.func.id
    owner = mod.owner.get(qualname)
    func = node.func
    if owner and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        name = f"{owner}.{func.attr}"
        return name if name in mod.functions else None
    return None


# ---------------------------------------------------------------- constants a parameter is compared with

_EQUALITY = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)


def module_constants(mod: Module) -> dict[str, int]:
    """Module-level names bound once, to an int literal or a small arithmetic of them
    (``LIMIT = 2**20``): the bounds a function compares with by name."""
    cached = mod.cache.get("int constants")
    if cached is None:
        bound: dict[str, list[ast.expr]] = {}
        for stmt in mod.tree.body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                    if isinstance(target, ast.Name):
                        bound.setdefault(target.id, []).append(stmt.value)
        cached = {name: value for name, values in bound.items() if len(values) == 1
                  and (value := _int_constant(values[0])) is not None}
        mod.cache["int constants"] = cached
    return cached  # type: ignore[return-value]


def compared_constants(func: FuncNode, constants: dict[str, int] | None = None) -> dict[Path, tuple[object, ...]]:
    """For each name of ``func``'s body compared with str/int constants (``op == "add"``,
    ``op in ("sub", "neg")``, ``match op: case "add" | "sub":``), those constants in order;
    for an ordering against an int (``n > 2**20``, ``0 < k <= LIMIT - 1``, ``min(n, LIMIT)``
    with literals or module constants), the boundary and its neighbours (``2**20 - 1``,
    ``2**20``, ``2**20 + 1``), so the branch on each side of it runs (boundary-value analysis).

    Keyed by path (:func:`_term_path`): ``("n",)`` for a name, ``("sizes", "[]")`` for the
    elements of ``sizes`` (``for n in sizes``, ``for i, n in enumerate(sizes)``, a
    comprehension's target, ``sizes[i]``), ``("rows", "[]", "k:size")`` for ``r["size"]``
    of each ``r`` in ``rows``."""
    aliases = _element_aliases(func)
    found: dict[Path, dict[object, None]] = {}
    for node in ast.walk(func):
        for term, bound in _ordered_bounds(node, constants):
            if (path := _term_path(term, aliases)) is not None:
                for value in (bound - 1, bound, bound + 1):
                    found.setdefault(path, {})[value] = None
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], _EQUALITY):
            left, right = node.left, node.comparators[0]
            if _term_path(right, aliases) is not None and isinstance(node.ops[0], ast.Eq | ast.NotEq):
                left, right = right, left  # "add" == op
            if (path := _term_path(left, aliases)) is not None:
                for value in _constants(right):
                    found.setdefault(path, {})[value] = None
        elif isinstance(node, ast.Match) and (path := _term_path(node.subject, aliases)) is not None:
            for case in node.cases:
                for pattern in ast.walk(case.pattern):
                    if isinstance(pattern, ast.MatchValue):
                        for value in _constants(pattern.value):
                            found.setdefault(path, {})[value] = None
    return {path: tuple(values) for path, values in found.items()}


def _element_aliases(func: FuncNode) -> dict[str, Path]:
    """Loop names that take the elements of a parameter (or of an element, nested):
    ``for n in sizes`` and ``for i, n in enumerate(sizes)`` give ``{"n": ("sizes", "[]")}``,
    as do comprehension targets. A parameter itself is never an alias."""
    params = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    aliases: dict[str, Path] = {}
    for node in ast.walk(func):  # breadth first: an outer loop is read before the loops inside it
        if not isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            continue
        target, it = node.target, node.iter
        if isinstance(it, ast.Call) and dotted(it.func) == "enumerate" and it.args \
                and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            target, it = target.elts[1], it.args[0]
        base = _term_path(it, aliases)
        if isinstance(target, ast.Name) and target.id not in params and base is not None \
                and (base[0] in params or len(base) > 1):
            aliases[target.id] = (*base, "[]")
    return aliases


def _term_path(node: ast.expr, aliases: dict[str, Path]) -> Path | None:
    """The path of a compared term: a name (an element alias, else itself), ``x[i]`` (an
    element of ``x``), ``x["key"]`` (a field); None for anything else."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, (node.id,))
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice | ast.Tuple):
        base = _term_path(node.value, aliases)
        if base is None:
            return None
        key = node.slice
        return (*base, f"k:{key.value}") if isinstance(key, ast.Constant) and isinstance(key.value, str) \
            else (*base, "[]")
    return None


def is_clamp(node: ast.AST) -> bool:
    """``min(a, b, ...)`` or ``max(a, b, ...)`` of several numbers (not of one iterable)."""
    return isinstance(node, ast.Call) and dotted(node.func) in ("min", "max") and len(node.args) >= 2 \
        and not node.keywords


def _ordered_bounds(node: ast.AST, constants: dict[str, int] | None) -> list[tuple[ast.expr, int]]:
    """(term, bound) for each name or subscript ordered against an int constant in ``node``: ``n > 2**20``,
    ``LIMIT < n``, each link of ``0 < n <= LIMIT``, ``min(n, LIMIT)``."""
    if isinstance(node, ast.Compare):
        terms = [node.left, *node.comparators]
        pairs = [pair for pair, op in zip(itertools.pairwise(terms), node.ops, strict=True)
                 if isinstance(op, _ORDERING)]
    elif is_clamp(node):
        pairs = list(itertools.permutations(node.args, 2))
    else:
        return []
    found = []
    for a, b in pairs:
        for term, other in ((a, b), (b, a)):
            bound = _int_constant(other, constants)
            if isinstance(term, ast.Name | ast.Subscript) and bound is not None:
                found.append((term, bound))
    return found


_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_FOLDABLE = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
             ast.LShift: lambda a, b: a << b if 0 <= b <= 256 else None,
             ast.Pow: lambda a, b: a ** b if 0 <= b <= 256 and abs(a) <= 2**16 else None}


def _int_constant(node: ast.expr, constants: dict[str, int] | None = None) -> int | None:
    """The value of an int literal or a small arithmetic of them (``2**20``, ``1 << 31``,
    ``-5``, ``LIMIT - 1`` with ``LIMIT`` one of the module's ``constants``)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name) and constants and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_constant(node.operand, constants)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLDABLE:
        a, b = _int_constant(node.left, constants), _int_constant(node.right, constants)
        return None if a is None or b is None else _FOLDABLE[type(node.op)](a, b)
    return None


def _constants(node: ast.expr) -> list[object]:
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [i.value for i in items if isinstance(i, ast.Constant) and type(i.value) in (int, str)]


_MAX_EXAMPLES = 16


def with_examples(param: ParamType, constants: tuple[object, ...]) -> ParamType:
    """``param`` whose str/int spec also draws the ``constants`` it is compared with (its
    branches on them run); an untyped parameter compared only with strs (ints) is a str (int)."""
    strs = [c for c in constants if isinstance(c, str)]
    ints = [c for c in constants if isinstance(c, int)]
    if param.spec is None and constants and not (strs and ints):
        param = replace(param, spec=StrSpec() if strs else IntSpec(), source="usage", why="")
    return param if param.spec is None else replace(param, spec=_spec_with_examples(param.spec, constants))


def _spec_with_examples(spec: Spec, constants: tuple[object, ...]) -> Spec:
    strs = tuple(c for c in constants if isinstance(c, str))
    if isinstance(spec, StrSpec) and strs:
        return replace(spec, examples=strs)
    if is_number(spec):
        return replace(spec, options=(_spec_with_examples(spec.options[0], constants), *spec.options[1:]))
    if not (isinstance(spec, IntSpec) and spec.role in ("value", "size")):
        return spec
    ints = tuple(i for i in constants if isinstance(i, int)
                 and (spec.low is None or i >= spec.low) and (spec.high is None or i <= spec.high))
    return replace(spec, examples=ints[:_MAX_EXAMPLES]) if ints else spec


def _examples_at(spec: Spec, path: Path, constants: tuple[object, ...]) -> Spec:
    """``spec`` whose part at ``path`` (``"[]"``: a sequence's elements, ``"k:size"``: a
    record's field) draws ``constants`` (:func:`_spec_with_examples`); other parts unchanged."""
    if not path:
        return _spec_with_examples(spec, constants)
    step, rest = path[0], path[1:]
    if isinstance(spec, SequenceSpec) and step == "[]":
        return replace(spec, item=_examples_at(spec.item, rest, constants))
    if isinstance(spec, RecordSpec) and step.startswith("k:"):
        return replace(spec, fields=tuple((k, _examples_at(v, rest, constants) if k == step[2:] else v)
                                          for k, v in spec.fields))
    return spec


def spec_at(spec: Spec | None, path: Path) -> Spec | None:
    """The part of ``spec`` at ``path`` (usage paths: ``"[]"`` a sequence's elements or a
    dict's values, ``"#0"`` a tuple position, ``"key"``/``"val"``, ``"k:name"`` a record
    field); None where ``spec`` has no such part."""
    for step in path:
        if isinstance(spec, SequenceSpec) and step == "[]":
            spec = spec.item
        elif isinstance(spec, TupleSpec) and step[:1] == "#" and int(step[1:]) < len(spec.items):
            spec = spec.items[int(step[1:])]
        elif isinstance(spec, DictSpec) and step in ("key", "val", "[]"):
            spec = spec.key if step == "key" else spec.value
        elif isinstance(spec, RecordSpec) and step.startswith("k:"):
            spec = dict(spec.fields).get(step[2:])
        else:
            return None
    return spec


def _annotation(mod: Module, arg: ast.arg, notes: list[str], visiting: frozenset[str]) -> Evidence:
    if arg.annotation is None:
        return Evidence("annotation", None)
    try:
        return Evidence("annotation", HintReader(mod, notes, visiting).spec(arg.annotation))
    except NoType as exc:
        return Evidence("annotation", None, f"{arg.arg}: {exc}")
    except RecursionError:
        return Evidence("annotation", None, f"{arg.arg}: the hint nests too deeply; simplify it")


def _default_evidence(mod: Module, default: ast.expr | None) -> Evidence:
    from polca.skills.analysis.infer_sources import literal_names, value_spec

    if default is None:
        return Evidence("default", None)
    return Evidence("default", value_spec(mod, default, literal_names(mod)))  # n=LIMIT, LIMIT = 100


def _combine(name: str, found: list[Evidence], notes: list[str]) -> ParamType:
    """The strongest source's spec, refined by the weaker ones. A hint that cannot be read
    is final: guessing past it would hide the user's intent."""
    hint = found[0]
    if hint.why:
        return ParamType(name, None, None, hint.why, tuple(notes))
    optional = any(e.source == "default" and isinstance(e.spec, NoneSpec) for e in found)
    spec: Spec | None = None
    source: TypeSource | None = None
    for e in found:
        notes += [n for n in e.notes if n not in notes]
        if e.spec is None or (isinstance(e.spec, NoneSpec) and e.source == "default"):
            continue
        if spec is None or isinstance(spec, Hole):
            source = e.source
        elif source != "annotation":
            spec = _generalize(name, spec, source, e, notes)
        spec = refine(spec, e.spec)
    if spec is not None and optional and found[0].spec is None and not isinstance(spec, UnionSpec):
        spec = union([spec, NoneSpec()])
    if spec is None or isinstance(spec, Hole):
        return ParamType(name, None, None, _why_untyped(name, hint, optional), tuple(notes))
    return ParamType(name, finish(spec, notes, name), source, "", tuple(notes))


def _generalize(name: str, spec: Spec, source: TypeSource | None, other: Evidence, notes: list[str]) -> Spec:
    """Where a weaker source disagrees, keep the more general type (an int seen as a float
    elsewhere is a float) and note the disagreement."""
    theirs = other.spec
    if other.source == "docstring":  # the author's word: a number it calls an int is one
        narrowed = _said_int(spec, theirs)
        if narrowed != spec:
            notes.append(f"{name}: {source} says {describe(spec)}, docstring says {describe(theirs)}; "
                         f"{describe(narrowed)} kept")
            return narrowed
    widened = _widen(spec, theirs)
    if widened != spec:
        notes.append(f"{name}: {source} says {describe(spec)}, {other.source} says {describe(theirs)}; "
                     f"{describe(widened)} kept")
        return widened
    if theirs is not None and not isinstance(theirs, Hole) and type(theirs) is not type(spec) and not (
            isinstance(spec, UnionSpec) and any(type(o) is type(theirs) for o in spec.options)):
        notes.append(f"{name}: {other.source} suggests {describe(theirs)}, {source} says "
                     f"{describe(spec)}; {source} kept")
    return spec


def _widen(spec: Spec, other: Spec | None) -> Spec:
    """``spec`` with each plain int that ``other`` has as a float at the same place made a float
    (usage's ``x + 1`` allows a float; a call site passing 2.5 shows one)."""
    def leaf(mine: Spec, theirs: Spec | None) -> Spec:
        match mine, theirs:
            case IntSpec(role="value", low=None, high=None), FloatSpec():
                return theirs
            case IntSpec(role="value", low=None, high=None), UnionSpec() if is_number(theirs):
                return theirs  # `x=0` with `x + 1`: the default is one number a caller may give
        return mine
    return _place_by_place(spec, other, leaf)


def _said_int(spec: Spec, other: Spec | None) -> Spec:
    """``spec`` with each :func:`~.types.number` that ``other`` has as an int at the same
    place made that int (usage's ``x + 1`` takes either; the docstring says which)."""
    def leaf(mine: Spec, theirs: Spec | None) -> Spec:
        if isinstance(theirs, IntSpec) and is_number(mine):
            return refine(mine.options[0], theirs)  # type: ignore[union-attr]
        return mine
    return _place_by_place(spec, other, leaf)


def _place_by_place(spec: Spec, other: Spec | None, leaf) -> Spec:
    """``spec`` rebuilt through the containers it shares with ``other`` (items, dict values,
    record fields, tuple positions), with ``leaf(mine, theirs)`` at every other place."""
    match spec, other:
        case SequenceSpec(), SequenceSpec():
            return SequenceSpec(_place_by_place(spec.item, other.item, leaf), spec.kind)
        case DictSpec(), DictSpec():
            return DictSpec(spec.key, _place_by_place(spec.value, other.value, leaf), spec.kind)
        case RecordSpec(), RecordSpec():
            theirs = dict(other.fields)
            return RecordSpec(tuple((k, _place_by_place(v, theirs.get(k), leaf)) for k, v in spec.fields))
        case TupleSpec(), TupleSpec() if len(spec.items) == len(other.items):
            return TupleSpec(tuple(_place_by_place(a, b, leaf)
                                   for a, b in zip(spec.items, other.items, strict=True)))
    return leaf(spec, other)


def _why_untyped(name: str, hint: Evidence, optional: bool) -> str:
    if optional:
        return f"{name}: default None and no usage tells its type; add a hint such as {name}: list[int] | None"
    if isinstance(hint.spec, Hole):
        return (f"{name}: its hint (Any or object) and its usage say nothing of its type; "
                f"add a hint such as {name}: list[int]")
    return f"{name}: no hint, default or usage tells its type; add a hint such as {name}: list[int]"


def parameter_types(source: str, qualname: str, *, callers: Mapping[str, str] | None = None,
                    module_name: str = "") -> tuple[ParamType, ...]:
    """One ParamType per parameter of function `qualname` (``"f"`` or ``"Class.method"``)
    of module `source`, in signature order, *excluding* self/cls of methods (and nothing
    for *args/**kwargs). spec=None with `why` (what was missing, what to give: "add a hint
    such as list[int]") when nothing could be found. ``callers`` (name -> source: the other
    modules of the package) add the literal arguments they pass to ``module_name.qualname``.
    Never raises for any parseable source; raises ValueError for a qualname that is not a
    function there."""
    from polca.skills.analysis.infer_sources import caller_specs

    mod = module_index(source)
    find_function(mod, qualname)
    names = [a.arg for a, _ in signature(mod, qualname)]
    outside = caller_specs(callers, module_name, qualname, names) \
        if callers and module_name and not is_method(mod, qualname) else None
    try:
        return tuple(param_types(mod, qualname, outside=outside))
    except RecursionError:
        return tuple(ParamType(a.arg, None, None, f"{a.arg}: the code nests too deeply to analyse; add a hint")
                     for a, _ in signature(mod, qualname))


def receiver_type(source: str, qualname: str) -> ParamType | None:
    """For a method `Class.method` (not a staticmethod/classmethod): how to build the
    instance it is called on: ParamType(name="self", spec=InstanceSpec(...)) with the
    constructor's args/kwargs specs from __init__'s parameters, dataclass fields or
    NamedTuple fields (inferred as for parameter_types), or spec=None with `why` when some
    constructor parameter cannot be typed; for a classmethod, ParamType(name="cls",
    spec=ClassSpec(...)): the class itself. None for plain functions and static methods."""
    mod = module_index(source)
    func = find_function(mod, qualname)
    params = func.args.posonlyargs + func.args.args
    if qualname in mod.owner and "classmethod" in decorator_names(func) and params:
        return ParamType(params[0].arg, ClassSpec(mod.owner[qualname]), "annotation")
    if not is_method(mod, qualname):
        return None
    name = params[0].arg if params else "self"
    try:
        return ParamType(name, instance_spec(mod, mod.owner[qualname]), "annotation")
    except NoType as exc:
        return ParamType(name, None, None, str(exc))
    except RecursionError:
        return ParamType(name, None, None, f"{mod.owner[qualname]} nests too deeply to analyse")


def class_spec(source: str, class_qualname: str) -> InstanceSpec | None:
    """How to construct an instance of a class of the module (used for hints naming user
    classes, dataclasses, NamedTuples); None when some constructor parameter cannot be typed."""
    mod = module_index(source)
    if class_qualname not in mod.classes:
        known = ", ".join(sorted(mod.classes)[:12]) or "none"
        raise ValueError(f"{class_qualname!r} is not a class of this module (classes: {known})")
    try:
        spec = instance_spec(mod, class_qualname)
    except (NoType, RecursionError):
        return None
    return spec if isinstance(spec, InstanceSpec) else None


__all__ = ["parameter_types", "receiver_type", "class_spec"]
