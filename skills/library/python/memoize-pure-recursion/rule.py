"""Add ``@functools.cache`` to a pure, module-level recursive function.

Applies to a top-level ``def f(...)`` when all of these hold:

1. ``f`` has no decorators, is not ``async``, has only plain parameters (no defaults,
   ``*args``, ``**kwargs``, keyword-only or positional-only markers), and the name ``f``
   is bound exactly once in the module;
2. ``f`` calls itself at least twice in its body (overlapping subproblems are likely;
   a single self-call gains nothing from a cache);
3. the body is pure as far as the code shows: it reads only its parameters, its own
   locals, ``f`` and the built-ins ``min max abs len range sum int divmod`` (not rebound
   in the module); it calls nothing else, touches no attribute, assigns no subscript,
   and has no ``global``, ``nonlocal``, ``yield``, ``await``, ``lambda`` or nested def;
4. every parameter is annotated ``int``, ``str``, ``bool``, ``float`` or ``bytes`` and
   every ``return`` value is built from hashable values (such parameters, literals,
   arithmetic, calls of ``f`` and of the listed built-ins): results are immutable, so a
   shared cached result cannot be mutated by a caller.

Assumption, stated plainly: parameter annotations are trusted. A caller that passes an
unhashable value despite ``n: int`` gets TypeError from the cache.

Adds ``import functools`` if missing; skips the module if ``functools`` is bound any
other way.
"""

from __future__ import annotations

import libcst as cst

from polca.skills import cst_tools as ct

_PURE_BUILTINS = {"min", "max", "abs", "len", "range", "sum", "int", "divmod"}
_HASHABLE_ANNOTATIONS = {"int", "str", "bool", "float", "bytes"}
_CONSTANTS = {"True", "False", "None"}


def rewrite(module: cst.Module) -> cst.Module:
    imports = ct.imported_modules(module)
    if ct.binding_count(module, "functools") != (1 if "functools" in imports else 0):
        return module
    shadowed = ct.module_bindings(module)
    mapping: dict[int, cst.CSTNode] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and _memoizable(module, stmt, shadowed):
            decorator = cst.Decorator(decorator=cst.parse_expression("functools.cache"))
            mapping[id(stmt)] = stmt.with_changes(decorators=[decorator])
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), "import functools")


def _params(func: cst.FunctionDef) -> set[str] | None:
    p = func.params
    if p.star_arg is not cst.MaybeSentinel.DEFAULT or p.star_kwarg or p.kwonly_params or p.posonly_params:
        return None
    names = set()
    for param in p.params:
        annotation = param.annotation.annotation if param.annotation else None
        if param.default is not None or not isinstance(annotation, cst.Name):
            return None
        if annotation.value not in _HASHABLE_ANNOTATIONS:
            return None
        names.add(param.name.value)
    return names


def _memoizable(module: cst.Module, func: cst.FunctionDef, shadowed: set[str]) -> bool:
    name = func.name.value
    params = _params(func)
    if func.decorators or func.asynchronous or params is None or ct.binding_count(module, name) != 1:
        return False
    if _PURE_BUILTINS & shadowed:
        return False
    facts = ct.collect(func.body)
    if facts.impure or any(isinstance(n, cst.Attribute | cst.Del) for n in ct.walk(func.body)):
        return False
    if any(_writes_subscript(n) for n in ct.walk(func.body)):
        return False
    calls = [n for n in ct.walk(func.body) if isinstance(n, cst.Call)]
    if sum(ct.is_call_to(c, name) for c in calls) < 2:
        return False
    if not all(ct.is_call_to(c, name) or _is_builtin_call(c) for c in calls):
        return False
    local = facts.bound | params
    if not facts.read <= local | _PURE_BUILTINS | _CONSTANTS | {name}:
        return False
    hashable = params | ct.hashable_names(func, shadowed)
    returns = [n for n in ct.walk(func.body) if isinstance(n, cst.Return)]
    return bool(returns) and all(r.value is not None and _hashable(r.value, hashable, name) for r in returns)


def _is_builtin_call(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Name) and call.func.value in _PURE_BUILTINS


def _writes_subscript(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.AssignTarget | cst.AugAssign | cst.AnnAssign):
        return isinstance(node.target, cst.Subscript)
    return False


def _hashable(expr: cst.BaseExpression, names: set[str], self_name: str) -> bool:
    if ct.is_hashable_expr(expr, names):
        return True
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
        if expr.func.value == self_name:
            return True
        return expr.func.value in _PURE_BUILTINS - {"range"} and all(
            _hashable(a.value, names, self_name) for a in expr.args
        )
    if isinstance(expr, cst.BinaryOperation | cst.BooleanOperation):
        return _hashable(expr.left, names, self_name) and _hashable(expr.right, names, self_name)
    if isinstance(expr, cst.UnaryOperation):
        return _hashable(expr.expression, names, self_name)
    if isinstance(expr, cst.IfExp):
        return _hashable(expr.body, names, self_name) and _hashable(expr.orelse, names, self_name)
    if isinstance(expr, cst.GeneratorExp):
        return _hashable(expr.elt, names | ct.target_names(expr.for_in.target), self_name)
    return False
