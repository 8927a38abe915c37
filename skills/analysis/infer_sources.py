"""The weaker sources of a parameter's type: literal values (defaults and call-site
arguments), the body's usage (:mod:`.infer_usage`), the docstring (:mod:`.infer_doc`) and
calls of the function elsewhere in the same file, and in the other modules of its package
that import it (:func:`caller_specs`)."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from polca.skills.analysis.infer import Evidence, Hole, Module, dotted, module_index, union
from polca.skills.analysis.types import (
    BoolSpec,
    BytesSpec,
    CallableSpec,
    ClassSpec,
    DictSpec,
    EnumSpec,
    FloatSpec,
    InstanceSpec,
    IntSpec,
    NoneSpec,
    RecordSpec,
    SequenceSpec,
    Spec,
    StrSpec,
    TupleSpec,
)

_EMPTY_CALLS = {"list": SequenceSpec(Hole()), "set": SequenceSpec(Hole(), "set"),
                "frozenset": SequenceSpec(Hole(), "frozenset"), "tuple": SequenceSpec(Hole(), "tuple"),
                "dict": DictSpec(Hole(), Hole()), "deque": SequenceSpec(Hole(), "deque"),
                "defaultdict": DictSpec(Hole(), Hole(), "defaultdict"), "OrderedDict": DictSpec(Hole(), Hole()),
                "Counter": DictSpec(Hole(), IntSpec(), "counter"), "int": IntSpec(), "float": FloatSpec(),
                "str": StrSpec(), "bool": BoolSpec(), "bytes": BytesSpec()}


_STR_RESULTS: dict[str, Spec] = {
    **{m: SequenceSpec(StrSpec()) for m in ("split", "rsplit", "splitlines", "readlines")},
    **{m: StrSpec() for m in ("lower", "upper", "strip", "lstrip", "rstrip", "read", "replace", "title",
                              "join", "casefold", "readline")},
}


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
        case ast.Dict(keys=keys, values=values) if _is_record(mod, keys, values, env):
            return RecordSpec(tuple((k.value, value_spec(mod, v, env) or Hole())  # type: ignore[union-attr]
                                    for k, v in zip(keys, values, strict=True)))
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


def _is_record(mod: Module, keys: list, values: list[ast.expr], env: dict[str, Spec] | None) -> bool:
    """String keys with values of different kinds: a record like {"id": 1, "name": "a"}."""
    if not keys or not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys):
        return False
    kinds = {type(value_spec(mod, v, env)) for v in values}
    return len(kinds) > 1


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
    if isinstance(node.func, ast.Attribute) and node.func.attr in _STR_RESULTS:
        return _STR_RESULTS[node.func.attr]  # data = text.lower().split(): a list of str
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
    from polca.skills.analysis.infer_doc import docstring_specs
    from polca.skills.analysis.infer_resolve import usage_specs

    func = find_function(mod, qualname)
    out: dict[str, list[Evidence]] = {n: [] for n in names}
    for name, (spec, notes) in usage_specs(mod, qualname, func, names).items():
        out[name].append(Evidence("usage", spec, notes=tuple(notes)))
    for name, spec in docstring_specs(mod, func, names).items():
        out[name].append(Evidence("docstring", spec))
    for name, spec in call_site_specs(mod, qualname, names).items():
        out[name].append(Evidence("call site", spec))
    return out


def call_site_specs(mod: Module, qualname: str, names: list[str]) -> dict[str, Spec]:
    """Types of the literal arguments the module passes to ``qualname`` anywhere
    (``f([1, 2], k=3)``, also through names assigned from literals: ``data = [...]; f(data)``)."""
    from polca.skills.analysis.infer import is_method, refine

    short = qualname.rsplit(".", 1)[-1]
    env = literal_names(mod)
    method = is_method(mod, qualname)
    ctor = qualname.removesuffix(".__init__") if short == "__init__" else None
    out: dict[str, Spec] = {}
    for target, node in _calls(mod):
        if not (target in (qualname, ctor) or (method and target.endswith("." + short))):
            continue
        args = node.args[1:] if method and target == qualname else node.args  # Class.m(obj, ...)
        for name, spec in _literal_args(mod, env, names, args, node.keywords):
            out[name] = refine(out.get(name), spec)  # type: ignore[assignment]
    return out


def _literal_args(mod: Module, env: dict[str, Spec], names: list[str], args: list[ast.expr],
                  keywords: list[ast.keyword]) -> list[tuple[str, Spec]]:
    """(parameter, type) of each literal argument of one call, up to a ``*args``."""
    found = []
    pairs = list(zip(names, args, strict=False)) + [(k.arg, k.value) for k in keywords if k.arg in names]
    for name, arg in pairs:
        if isinstance(arg, ast.Starred):
            break
        spec = value_spec(mod, arg, env)
        if spec is not None and not isinstance(spec, NoneSpec):
            found.append((name, spec))  # type: ignore[arg-type]
    return found


def caller_specs(callers: Mapping[str, str], module_name: str, qualname: str, names: list[str]) -> dict[str, Spec]:
    """Types of the literal arguments other modules (``callers``: name -> source) pass to
    ``module_name.qualname`` (``from slow import f; f([1, 2])``, ``import slow; slow.f(k=3)``),
    for a function or a static/class method called on its class. Only plain data counts: a
    class or enum of the caller's module cannot be built in the target's."""
    from polca.skills.analysis.infer import refine

    wanted = f"{module_name}.{qualname}"
    out: dict[str, Spec] = {}
    for source in callers.values():
        try:
            mod = module_index(source)
        except ValueError:
            continue
        env = literal_names(mod)
        for target, node in _calls(mod):
            head, _, rest = target.partition(".")
            full = ".".join(p for p in (mod.imports.get(head, ""), rest) if p)
            if full == wanted or full.endswith("." + wanted):
                for name, spec in _literal_args(mod, env, names, node.args, node.keywords):
                    if _plain(spec):
                        out[name] = refine(out.get(name), spec)  # type: ignore[assignment]
    return out


def _plain(spec: Spec) -> bool:
    """No part of ``spec`` names a class of its module (an instance, an enum member, a class)."""
    match spec:
        case InstanceSpec() | EnumSpec() | ClassSpec():
            return False
        case SequenceSpec(item=item):
            return _plain(item)
        case DictSpec(key=key, value=value):
            return _plain(key) and _plain(value)
        case TupleSpec(items=items):
            return all(_plain(i) for i in items)
        case RecordSpec(fields=fields):
            return all(_plain(v) for _, v in fields)
    return True


def _calls(mod: Module) -> list[tuple[str, ast.Call]]:
    """Every call of the module with the dotted name it calls (computed once per module)."""
    if "calls" not in mod.cache:
        mod.cache["calls"] = [(dotted(n.func) or "", n) for n in mod.cache["call_nodes"]]  # type: ignore[attr-defined]
    return mod.cache["calls"]  # type: ignore[return-value]


def literal_names(mod: Module) -> dict[str, Spec]:
    """Names bound to literals or constructor calls anywhere in the module (the last wins)."""
    if "literal_names" in mod.cache:
        return mod.cache["literal_names"]  # type: ignore[return-value]
    env: dict[str, Spec] = {}
    mod.cache["literal_names"] = env  # filled in place: class constructions below may ask again
    for node in mod.cache["assign_nodes"]:  # type: ignore[attr-defined]
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            spec = value_spec(mod, node.value, env)
            if spec is not None:
                env[node.targets[0].id] = spec
    return env
