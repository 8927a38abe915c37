"""The weaker sources of a parameter's type: literal values (defaults and call-site
arguments), the body's usage (:mod:`.infer_usage`), the docstring (:mod:`.infer_doc`) and
calls of the function elsewhere in the same file."""

from __future__ import annotations

import ast

from polca.skills.analysis.infer import Evidence, Hole, Module, dotted, union
from polca.skills.analysis.types import (
    BoolSpec,
    BytesSpec,
    CallableSpec,
    DictSpec,
    EnumSpec,
    FloatSpec,
    IntSpec,
    NoneSpec,
    SequenceSpec,
    Spec,
    StrSpec,
    TupleSpec,
)

_EMPTY_CALLS = {"list": SequenceSpec(Hole()), "set": SequenceSpec(Hole(), "set"),
                "frozenset": SequenceSpec(Hole(), "frozenset"), "tuple": SequenceSpec(Hole(), "tuple"),
                "dict": DictSpec(Hole(), Hole()), "deque": SequenceSpec(Hole(), "deque"),
                "defaultdict": DictSpec(Hole(), Hole()), "OrderedDict": DictSpec(Hole(), Hole()),
                "Counter": DictSpec(Hole(), IntSpec()), "int": IntSpec(), "float": FloatSpec(),
                "str": StrSpec(), "bool": BoolSpec(), "bytes": BytesSpec()}


def value_spec(mod: Module, node: ast.expr | None, env: dict[str, Spec] | None = None) -> Spec | None:
    """The type of a literal-like expression (``10``, ``[1, 2]``, ``{"a": 1.5}``, ``-1``,
    ``lambda x: x``, ``Color.RED``, ``float("inf")``, ``set()``); None when unknown.
    ``env`` gives the types of names assigned from literals just before."""
    match node:
        case ast.Constant(value=value):
            return _constant(value)
        case ast.UnaryOp(op=ast.USub() | ast.UAdd(), operand=operand):
            return value_spec(mod, operand, env)
        case ast.List(elts=elts) | ast.Set(elts=elts):
            kind = "list" if isinstance(node, ast.List) else "set"
            return SequenceSpec(_items(mod, elts, env), kind)
        case ast.Tuple(elts=elts):
            return TupleSpec(tuple(value_spec(mod, e, env) or Hole() for e in elts)) if elts else \
                SequenceSpec(Hole(), "tuple")
        case ast.Dict(keys=keys, values=values):
            return DictSpec(_items(mod, [k for k in keys if k is not None], env), _items(mod, values, env))
        case ast.Lambda(args=args):
            return CallableSpec(len(args.posonlyargs + args.args))
        case ast.Name(id=name):
            if env and name in env:
                return env[name]
            if name in mod.functions:
                return CallableSpec(len(mod.functions[name].args.args))
        case ast.Attribute():
            return _enum_member(mod, node)
        case ast.Call(func=func):
            return _call_value(mod, node, dotted(func), env)
        case ast.ListComp() | ast.GeneratorExp():
            return SequenceSpec(Hole(), "list" if isinstance(node, ast.ListComp) else "iterator")
    return None


def _constant(value: object) -> Spec | None:
    if isinstance(value, bool):
        return BoolSpec()
    if isinstance(value, int):
        return IntSpec()
    if isinstance(value, float):
        return FloatSpec()
    if isinstance(value, str):
        return StrSpec()
    if isinstance(value, bytes):
        return BytesSpec()
    if value is None:
        return NoneSpec()
    return None


def _items(mod: Module, elts: list[ast.expr], env: dict[str, Spec] | None) -> Spec:
    """One type for a container's elements: their union, ints and floats joined as float."""
    specs = [value_spec(mod, e, env) for e in elts[:50]]
    known = [s for s in specs if s is not None]
    if not known:
        return Hole()
    if all(isinstance(s, (IntSpec, FloatSpec)) for s in known) and any(isinstance(s, FloatSpec) for s in known):
        return FloatSpec()
    merged = union(known)
    return merged


def _enum_member(mod: Module, node: ast.Attribute) -> Spec | None:
    from polca.skills.analysis.infer import class_kind, enum_members

    owner = dotted(node.value)
    if owner in mod.classes and class_kind(mod, mod.classes[owner]) == "enum":
        return EnumSpec(owner, enum_members(mod.classes[owner]))
    return None


def _call_value(mod: Module, node: ast.Call, name: str | None, env: dict[str, Spec] | None) -> Spec | None:
    from polca.skills.analysis.infer import NoType, instance_spec

    last = (name or "").rsplit(".", 1)[-1]
    if last in ("list", "set", "tuple", "frozenset", "sorted", "deque") and node.args:
        inner = value_spec(mod, node.args[0], env)
        item = inner.item if isinstance(inner, SequenceSpec) else Hole()
        kind = "list" if last == "sorted" else last
        return SequenceSpec(item, kind)  # type: ignore[arg-type]
    if last in _EMPTY_CALLS:
        return _EMPTY_CALLS[last]
    if name in ("np.array", "numpy.array", "np.zeros", "np.ones", "np.arange", "np.asarray"):
        from polca.skills.analysis.types import ArraySpec

        return ArraySpec("int64" if name.endswith("arange") else "float64")
    if name in mod.classes:
        try:
            return instance_spec(mod, name)
        except NoType:
            return None
    return None


def other_evidence(mod: Module, qualname: str, names: list[str]) -> dict[str, list[Evidence]]:
    """For each parameter name, what the usage, the docstring and the call sites say, in
    that order (strongest first)."""
    from polca.skills.analysis.infer import find_function
    from polca.skills.analysis.infer_usage import usage_specs

    func = find_function(mod, qualname)
    out: dict[str, list[Evidence]] = {n: [] for n in names}
    for name, (spec, notes) in usage_specs(mod, qualname, func, names).items():
        out[name].append(Evidence("usage", spec, notes=tuple(notes)))
    return out
