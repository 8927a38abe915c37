"""Rewrite ``sorted(xs, reverse=True)[:k]`` into ``heapq.nlargest(k, xs)`` and
``sorted(xs)[:k]`` into ``heapq.nsmallest(k, xs)``.

heapq documents ``nlargest(n, iterable, key)`` as equivalent to
``sorted(iterable, key=key, reverse=True)[:n]`` (and ``nsmallest`` to the ascending form),
ties included: it decorates elements with their position, so equal elements come out in
order of first occurrence, as a stable sort gives them. That holds when ``<`` is a total
order on what is compared, which the rule proves:

1. ``xs`` is a name, or ``d.items()``/``d.keys()``/``d.values()`` of a dict, whose element
   type is known (observed, hinted, or a typed loop variable, via :func:`typed_names`);
   without a key it is ``int``, ``bool``, ``str``, ``bytes`` or a tuple of those (no
   floats: NaN breaks the total order differently for the two algorithms); with
   ``key=len`` it is sized (str, bytes, list, tuple, dict, set, frozenset), since
   ``sorted`` calls ``len`` on each element where ``heapq`` may call it on none; with
   ``key=lambda p: p[i]`` it is a tuple of known length with a totally ordered field ``i``
   (``-p[i]`` of an int field, or a tuple of such fields, ``(-p[1], p[0])``, too): the key
   cannot raise, so calling it on fewer elements changes nothing, and the keys alone are
   compared (``heapq`` decorates them with unique positions);
2. the call is exactly ``sorted(xs)`` with optional ``reverse=True``/``False`` literal and
   optional key as above; the subscript is ``[:k]`` (no start, no step), either on the call
   itself or on a local bound once by ``ranked = sorted(...)`` that is read nowhere but in
   ``ranked[:k]`` (then the assignment becomes ``ranked = heapq.nlargest(k, ...)``: the
   slice of the k largest is the k largest; ``k`` is then a literal or a parameter the
   body never rebinds, so it is the same at the assignment and the slice);
3. ``k`` is an int literal, or a name of type ``int``: then the rewrite keeps the sort
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
            elif isinstance(node, cst.Assign):
                new = _sorted_alias(func, node, types)
                if new is not None:
                    mapping[id(node.value)] = new
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


def _head_count(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``k`` of a subscript ``[:k]`` (no start, no step), else None."""
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1 or node.lpar:
        return None
    part = node.slice[0].slice
    if not isinstance(part, cst.Slice) or part.lower is not None or part.step is not None:
        return None
    return part.upper


def _top_k(node: cst.Subscript, types) -> cst.BaseExpression | None:
    count = _head_count(node)
    if count is None or not ct.is_call_to(node.value, "sorted"):
        return None
    if not (isinstance(count, cst.Integer) or (isinstance(count, cst.Name) and types.get(count.value) == "int")):
        return None
    return _heap_for(node.value, count, node, types)


def _sorted_alias(func, assign: cst.Assign, types) -> cst.BaseExpression | None:
    """For ``ranked = sorted(...)``, with ``ranked`` bound nowhere else and read only as
    ``ranked[:k]`` (one ``k``: a literal or a never-rebound int parameter), the call that
    gives the same ``ranked[:k]``."""
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    name = assign.targets[0].target.value
    if not ct.is_call_to(assign.value, "sorted"):
        return None
    refs = [r for r in ct.name_refs(func.body, name) if r is not assign.targets[0].target]
    parents = ct.parent_map(func.body)
    counts = set()
    for ref in refs:
        element = parents.get(id(ref))
        count = _head_count(element) if isinstance(element, cst.Subscript) and element.value is ref else None
        if isinstance(count, cst.Integer):
            counts.add(("literal", count.evaluated_value))
        elif isinstance(count, cst.Name) and types.get(count.value) == "int" and _never_rebound_param(func, count.value):
            counts.add(("name", count.value))
        else:
            return None
    if len(counts) != 1:
        return None  # never sliced, or sliced by different counts (any other binding or read was refused above)
    kind, value = counts.pop()
    count = cst.Integer(str(value)) if kind == "literal" else cst.Name(value)
    if kind == "literal" and value < 0:
        return None
    return _heap_for(assign.value, count, assign.value, types)


def _never_rebound_param(func: cst.FunctionDef, name: str) -> bool:
    params = {p.name.value for p in ct.walk(func.params) if isinstance(p, cst.Param)}
    return name in params and name not in ct.collect(func.body).bound


def _heap_for(call: cst.Call, count, kept: cst.BaseExpression, types) -> cst.BaseExpression | None:
    """``heapq.nlargest(count, xs, key=...)`` (or ``nsmallest``) for ``sorted(xs, ...)``
    when its preconditions hold; a name ``count`` gets ``... if count >= 0 else kept``."""
    options = _options(call)
    if options is None:
        return None
    reverse, key = options
    values = call.args[0].value
    element = _element(values, types)
    if key is None:
        if not _totally_ordered(element):
            return None
    elif isinstance(key, cst.Lambda):
        if not _field_key_ok(key, element):
            return None
    elif not is_sized_type(element):  # key=len: sorted calls len on every element even when k == 0
        return None
    name = "nlargest" if reverse else "nsmallest"
    args = [cst.Arg(count), cst.Arg(values)]
    if key is not None:
        args.append(cst.Arg(value=key, keyword=cst.Name("key"), equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))))
    heap = cst.Call(func=cst.Attribute(cst.Name("heapq"), cst.Name(name)), args=args)
    if isinstance(count, cst.Integer):
        return heap.with_changes(lpar=kept.lpar, rpar=kept.rpar)
    test = cst.Comparison(count, [cst.ComparisonTarget(cst.GreaterThanEqual(), cst.Integer("0"))])
    return cst.IfExp(test=test, body=heap, orelse=kept)


_VIEWS = {"keys": 0, "values": 1}


def _element(values: cst.BaseExpression, types) -> str | None:
    """The element type of ``xs`` (a typed name) or of ``d.items()``/``keys()``/``values()``."""
    if isinstance(values, cst.Name):
        return element_type(types.get(values.value))
    view = m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("items") | m.Name("keys") | m.Name("values")), args=[])
    if not m.matches(values, view):
        return None
    head, args = split_type(types.get(values.func.value.value))
    if head.rsplit(".", 1)[-1] not in ("dict", "Dict") or len(args) != 2:
        return None
    attr = values.func.attr.value
    return f"tuple[{args[0]}, {args[1]}]" if attr == "items" else args[_VIEWS[attr]]


def _field_key_ok(key: cst.Lambda, element: str | None) -> bool:
    """``lambda p: F`` on tuples of known length, where ``F`` is a field ``p[i]`` of a
    totally ordered type, ``-p[i]`` of an int field, or a tuple of those: keys that
    cannot raise and that compare in a total order."""
    params = key.params
    if len(params.params) != 1 or isinstance(params.star_arg, cst.CSTNode) or params.kwonly_params or (
            params.star_kwarg is not None or params.posonly_params):
        return False
    if params.params[0].default is not None:
        return False
    head, args = split_type(element)
    if head != "tuple" or not args or "..." in args:
        return False
    return _field_key(key.body, params.params[0].name.value, args)


def _field_key(expr: cst.BaseExpression, param: str, fields: tuple[str, ...]) -> bool:
    if isinstance(expr, cst.Tuple) and expr.elements:
        return all(isinstance(e, cst.Element) and _field_key(e.value, param, fields) for e in expr.elements)
    negated = isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus)
    if negated:
        expr = expr.expression
    if not m.matches(expr, m.Subscript(value=m.Name(param), slice=[m.SubscriptElement(m.Index(m.Integer()))])):
        return False
    index = expr.slice[0].slice.value.evaluated_value
    if index >= len(fields):
        return False
    return fields[index] in ("int", "bool") if negated else _totally_ordered(fields[index])


def _options(call: cst.Call) -> tuple[bool, cst.BaseExpression | None] | None:
    """(reverse, key) of ``sorted(xs, reverse=..., key=len | lambda p: p[i])``, or None for any other call."""
    first, rest = call.args[0] if call.args else None, call.args[1:]
    if first is None or first.keyword is not None or first.star != "":
        return None
    reverse, key = False, None
    for arg in rest:
        name = arg.keyword.value if arg.keyword is not None else None
        if name == "reverse" and m.matches(arg.value, m.Name("True") | m.Name("False")):
            reverse = arg.value.value == "True"
        elif name == "key" and (m.matches(arg.value, m.Name("len")) or isinstance(arg.value, cst.Lambda)):
            key = arg.value
        else:
            return None
    return reverse, key
