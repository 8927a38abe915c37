"""Rewrite ``acc = acc + [v]`` / ``acc = acc + more`` into ``acc.append(v)`` / ``acc.extend(more)``.

Rewrites each statement ``acc = acc + X`` of a function, when at least one of them runs
inside a loop and all of these are proven from the function's code and facts:

1. ``acc`` is a local, not a parameter, bound exactly once besides these statements, by
   ``acc = [...]``, a list comprehension or ``list(...)``: it always holds a list that
   this function made;
2. no other name, container or caller can hold the list: every other use of ``acc`` is
   ``len(acc)``, a truth test, an index read, a method call on it, a comparison operand,
   an argument of an eager built-in that copies or reads it (``sum``, ``sorted``,
   ``list``, ``tuple``, ``set``, ``min``, ``max``, ``any``, ``all``, ``print``...), the
   iterable of a ``for`` loop that contains no concatenation of ``acc``, or a plain
   ``return acc``; the function has no nested function, lambda, class, ``global`` or
   ``nonlocal``; so the old list that ``+`` left behind was never observable;
3. ``X`` is certainly a list (a display, a list comprehension, ``list(...)``,
   ``sorted(...)``, a name the facts type as a list and never rebind, or a loop variable
   over a collection of lists by type, :func:`typed_names`: ``for batch in batches`` with
   ``batches: list[list[int]]``), so ``+`` could not have raised TypeError where
   ``extend`` accepts any iterable;
4. the built-ins used in the proof are not rebound in the module.

A one-element display ``[v]`` becomes ``acc.append(v)``; anything else ``acc.extend(X)``.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import function_facts, qualified_functions, split_type, typed_names

_EAGER_READERS = frozenset({
    "len", "sum", "sorted", "list", "tuple", "set", "frozenset", "min", "max", "any", "all",
    "print", "str", "repr", "bool",
})
_LIST_MAKERS = frozenset({"list", "sorted"})


def rewrite(module: cst.Module, observed=None) -> cst.Module:
    shadowed = ct.module_bindings(module)
    observed = observed or {}
    qualified = {id(func): name for name, func in qualified_functions(module)}
    mapping: dict[int, cst.CSTNode] = {}
    for func in ct.functions(module):
        if _has_nested_scope(func):
            continue
        facts = function_facts(func, observed.get(qualified.get(id(func), ""), {}))
        for name, concats in _concats_by_name(func).items():
            if _provable(func, name, concats, facts, shadowed):
                mapping.update({id(stmt): _in_place(stmt) for stmt in concats})
    return ct.replace_nodes(module, mapping) if mapping else module


def _has_nested_scope(func: cst.FunctionDef) -> bool:
    kinds = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Global, cst.Nonlocal)
    return any(isinstance(n, kinds) for n in ct.walk(func.body))


def _concats_by_name(func: cst.FunctionDef) -> dict[str, list[cst.Assign]]:
    """``acc = acc + X`` assignments, grouped by ``acc``."""
    out: dict[str, list[cst.Assign]] = {}
    for node in ct.walk(func.body):
        if (
            isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and isinstance(node.value, cst.BinaryOperation)
            and isinstance(node.value.operator, cst.Add)
            and m.matches(node.value.left, m.Name(node.targets[0].target.value))
            and not node.value.lpar
        ):
            out.setdefault(node.targets[0].target.value, []).append(node)
    return out


def _provable(func, name: str, concats: list[cst.Assign], facts, shadowed: set[str]) -> bool:
    if facts.is_param(name) or name in facts.global_names:
        return False
    if ct.binding_count(func, name) != len(concats) + 1:
        return False
    init = _fresh_list_init(func, name, concats, shadowed)
    if init is None:
        return False
    typed = typed_names(func, facts.observed, shadowed)
    if not all(_certainly_list(stmt.value.right, facts, typed, shadowed) for stmt in concats):
        return False
    in_loops = ct.ids_inside_loops(func.body)
    if not any(id(stmt) in in_loops for stmt in concats):
        return False
    allowed = {id(init.targets[0].target)}
    for stmt in concats:
        allowed |= {id(stmt.targets[0].target), id(stmt.value.left)}
    return _no_alias(func, name, allowed, concats, shadowed)


def _fresh_list_init(func, name, concats, shadowed) -> cst.Assign | None:
    for node in ct.walk(func.body):
        if (
            isinstance(node, cst.Assign)
            and node not in concats
            and len(node.targets) == 1
            and m.matches(node.targets[0].target, m.Name(name))
        ):
            value = node.value
            fresh = isinstance(value, cst.List | cst.ListComp) or (
                ct.is_call_to(value, "list") and "list" not in shadowed
            )
            return node if fresh else None
    return None


def _certainly_list(expr: cst.BaseExpression, facts, typed, shadowed: set[str]) -> bool:
    if isinstance(expr, cst.List | cst.ListComp):
        return True
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
        return expr.func.value in _LIST_MAKERS and expr.func.value not in shadowed
    if isinstance(expr, cst.Name) and expr.value not in facts.rebound:
        kind = facts.type_of(expr.value) or ""
        if kind == "list" or kind.startswith("list["):
            return True
    return isinstance(expr, cst.Name) and split_type(typed.get(expr.value))[0] == "list"


def _no_alias(func, name: str, allowed: set[int], concats, shadowed: set[str]) -> bool:
    parents = ct.parent_map(func)
    concat_ids = {id(stmt) for stmt in concats}
    for ref in ct.name_refs(func.body, name):
        if id(ref) in allowed:
            continue
        if not _harmless_use(ref, parents, concat_ids, shadowed):
            return False
    return True


def _harmless_use(ref: cst.Name, parents, concat_ids: set[int], shadowed: set[str]) -> bool:
    """A use of the list that cannot keep a second reference to it."""
    parent = parents.get(id(ref))
    method = ct.method_call_on(ref, parents)
    if method is not None:
        return not method[0].startswith("_")  # ``acc.__iter__()`` would hold the list
    if ct.is_truth_test(ref, parents) or (isinstance(parent, cst.IfExp) and parent.test is ref):
        return True
    if isinstance(parent, cst.Return):
        return True
    if isinstance(parent, cst.Subscript) and parent.value is ref:
        return True
    if isinstance(parent, cst.Comparison | cst.ComparisonTarget):
        return True
    if isinstance(parent, cst.For) and parent.iter is ref:
        return not any(id(n) in concat_ids for n in ct.walk(parent.body))
    if isinstance(parent, cst.CompFor) and parent.iter is ref:
        return _eager_comprehension(parent, parents, shadowed)
    if isinstance(parent, cst.Arg):
        return _eager_reader_arg(parent, parents, shadowed)
    return False


def _eager_reader_arg(arg: cst.Arg, parents, shadowed: set[str]) -> bool:
    call = parents.get(id(arg))
    return (
        arg.keyword is None
        and arg.star == ""
        and isinstance(call, cst.Call)
        and isinstance(call.func, cst.Name)
        and call.func.value in _EAGER_READERS
        and call.func.value not in shadowed
    )


def _eager_comprehension(comp_for: cst.CompFor, parents, shadowed: set[str]) -> bool:
    """A comprehension run to the end where it stands: a list/set/dict comprehension, or a
    generator handed straight to an eager built-in (a stored generator would hold the list)."""
    node = parents.get(id(comp_for))
    while isinstance(node, cst.CompFor):
        node = parents.get(id(node))
    if isinstance(node, cst.ListComp | cst.SetComp | cst.DictComp):
        return True
    arg = parents.get(id(node))
    return isinstance(node, cst.GeneratorExp) and isinstance(arg, cst.Arg) and _eager_reader_arg(arg, parents, shadowed)


def _in_place(stmt: cst.Assign) -> cst.Expr:
    target, right = stmt.targets[0].target, stmt.value.right
    single = isinstance(right, cst.List) and len(right.elements) == 1
    single = single and isinstance(right.elements[0], cst.Element)
    method, arg = ("append", right.elements[0].value) if single else ("extend", right)
    func = cst.Attribute(value=target, attr=cst.Name(method))
    return cst.Expr(cst.Call(func=func, args=[cst.Arg(arg)]), semicolon=stmt.semicolon)
