"""Rewrite ``sorted(xs, reverse=True)[:k]`` into ``heapq.nlargest(k, xs)`` and
``sorted(xs)[:k]`` into ``heapq.nsmallest(k, xs)``.

heapq documents ``nlargest(n, iterable, key)`` as equivalent to
``sorted(iterable, key=key, reverse=True)[:n]`` (and ``nsmallest`` to the ascending form),
ties included: it decorates elements with their position, so equal elements come out in
order of first occurrence, as a stable sort gives them. That holds when ``<`` is a total
order on what is compared, which the rule proves:

1. ``xs`` is a name whose element type is known (observed, hinted, or a typed loop
   variable, via :func:`typed_names`) to be ``int``, ``bool``, ``str``, ``bytes`` or a
   tuple of those (no floats: NaN breaks the total order differently for the two
   algorithms), or the key is the built-in ``len`` (ints are compared, never elements)
   and the element type is sized (str, bytes, list, tuple, dict, set, frozenset), since
   ``sorted`` calls ``len`` on each element where ``heapq`` may call it on none;
2. the call is exactly ``sorted(xs)`` with optional ``reverse=True``/``False`` literal and
   optional ``key=len``; the subscript is ``[:k]`` (no start, no step);
3. ``k`` is an int literal, or a name of type ``int``: then the rewrite keeps the slice
   for ``k < 0`` (``[:-2]`` drops the last two, heapq would return ``[]``):
   ``heapq.nlargest(k, xs) if k >= 0 else sorted(xs, reverse=True)[:k]``;
4. ``sorted`` and ``len`` are not bound anywhere in the module, ``heapq`` only by a
   top-level ``import heapq`` (added when missing).

It pays when k is small next to ``len(xs)``; the differential check measures it.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    is_sized_type,
    qualified_functions,
    split_type,
    typed_names,
)

_ORDERED = frozenset({"int", "bool", "str", "bytes"})


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    imported = ct.imported_modules(module).get("heapq") == "heapq"
    if {"sorted", "len"} & shadowed or ct.binding_count(module, "heapq") != (1 if imported else 0):
        return module
    mapping: dict[int, cst.CSTNode] = {}
    for qualname, func in qualified_functions(module):
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        parents = ct.parent_map(func.body)
        for node in ct.own_nodes(func):
            if isinstance(node, cst.Subscript) and not _kept_for_negative_k(node, parents):
                new = _top_k(node, types)
                if new is not None:
                    mapping[id(node)] = new
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), "import heapq")


def _kept_for_negative_k(node: cst.Subscript, parents) -> bool:
    """``node`` is the ``else`` branch this rule wrote (idempotence)."""
    parent = parents.get(id(node))
    return isinstance(parent, cst.IfExp) and parent.orelse is node and m.matches(
        parent.body, m.Call(func=m.Attribute(m.Name("heapq"), m.Name("nlargest") | m.Name("nsmallest"))))


def _totally_ordered(description: str | None) -> bool:
    if description in _ORDERED:
        return True
    head, args = split_type(description or "")
    return head == "tuple" and bool(args) and "..." not in args and all(_totally_ordered(a) for a in args)


def _top_k(node: cst.Subscript, types) -> cst.BaseExpression | None:
    call = node.value
    if not (ct.is_call_to(call, "sorted") and len(node.slice) == 1 and not node.lpar):
        return None
    part = node.slice[0].slice
    if not isinstance(part, cst.Slice) or part.lower is not None or part.step is not None:
        return None
    count = part.upper
    if not (isinstance(count, cst.Integer) or (isinstance(count, cst.Name) and types.get(count.value) == "int")):
        return None
    options = _options(call)
    if options is None or not isinstance(call.args[0].value, cst.Name):
        return None
    reverse, key = options
    values = call.args[0].value
    element = element_type(types.get(values.value))
    # key=len: sorted calls len on every element even when k == 0, heapq may not
    if not (is_sized_type(element) if key is not None else _totally_ordered(element)):
        return None
    name = "nlargest" if reverse else "nsmallest"
    heap = cst.parse_expression(f"heapq.{name}(k, xs, key=len)" if key else f"heapq.{name}(k, xs)")
    heap = heap.with_changes(args=[heap.args[0].with_changes(value=count),
                                   heap.args[1].with_changes(value=values), *heap.args[2:]])
    if isinstance(count, cst.Integer):
        return heap.with_changes(lpar=node.lpar, rpar=node.rpar)
    test = cst.Comparison(count, [cst.ComparisonTarget(cst.GreaterThanEqual(), cst.Integer("0"))])
    return cst.IfExp(test=test, body=heap, orelse=node)


def _options(call: cst.Call) -> tuple[bool, cst.BaseExpression | None] | None:
    """(reverse, key) of ``sorted(xs, reverse=..., key=len)``, or None for any other call."""
    first, rest = call.args[0] if call.args else None, call.args[1:]
    if first is None or first.keyword is not None or first.star != "":
        return None
    reverse, key = False, None
    for arg in rest:
        name = arg.keyword.value if arg.keyword is not None else None
        if name == "reverse" and m.matches(arg.value, m.Name("True") | m.Name("False")):
            reverse = arg.value.value == "True"
        elif name == "key" and m.matches(arg.value, m.Name("len")):
            key = arg.value
        else:
            return None
    return reverse, key


