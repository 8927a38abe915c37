"""Replace re-summing every window with a running window sum.

``(sum(X[i : i + K]) for i in range(len(X) - K + 1))`` as a generator (the argument of
``max``/``min``/``sum``/``list``...) becomes ``_window_sums(X, K)``, and the list
comprehension of the same shape ``list(_window_sums(X, K))``. ``_window_sums`` is a
module-level generator the rule adds: for ``K >= 1`` it sums the first window once and
then moves it (``window += X[i + K - 1] - X[i - 1]``); for ``K <= 0`` it yields exactly
what the original slices give (empty or wrapped windows), summing each slice.

Preconditions, proven from the code and the facts:

1. ``X`` has type ``list[int]`` or ``list[float]`` (observed, else hinted; ints beside
   floats are observed as ``list[float]``) and is never changed in the function: int sums
   are exact, so moving the window gives the very sums ``sum`` gives, and the lazily
   started generator reads the list the original would have read. The helper moves the
   window only when every item is an ``int`` (checked at run time) and otherwise sums each
   slice as the original does, so floats get the same sums;
2. ``K`` is an int literal or an int-typed name (:func:`typed_names`), not ``i``;
3. the slice is ``X[i:i + K]`` (or ``K + i``) with no step, and ``i`` is the only
   generator variable, over exactly ``range(len(X) - K + 1)``;
4. ``sum``, ``len``, ``range``, ``list`` are the built-ins; ``_window_sums`` is free
   (or is this rule's helper); not inside a nested function or lambda.

The loop form ``for i in range(len(X) - K + 1):`` whose body holds one ``sum(X[i:i + K])``,
or first binds ``chunk = X[i:i + K]`` and reads ``chunk`` only as ``sum(chunk)``, becomes
``for i, s in enumerate(_window_sums(X, K)):`` with ``s`` for the sum (``i`` takes the
same values, and stays bound after the loop as before), when 1-4 hold and also: ``i``
and ``K`` are not bound in the loop, the loop is not ``async``, and ``chunk`` is bound
once and not read outside the loop. Floats are summed slice by slice by the helper on purpose:
a running float sum rounds differently from ``sum`` of each slice (``[1e16, 1.0, 1.0]``, k = 2:
2.0 becomes 0.0).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import function_facts, qualified_functions, typed_names

HELPER = '''def _window_sums(values, k):
    """``sum(values[i:i + k])`` for each ``i`` in ``range(len(values) - k + 1)``, in order."""
    if k <= 0 or not all(type(v) is int for v in values):
        yield from (sum(values[i : i + k]) for i in range(len(values) - k + 1))
        return
    if k > len(values):
        return
    window = sum(values[:k])
    yield window
    for i in range(1, len(values) - k + 1):
        window += values[i + k - 1] - values[i - 1]
        yield window
'''
_NAME = "_window_sums"
_CODE = cst.Module([])


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"sum", "len", "range", "list"} & shadowed or (_NAME in shadowed and not ct.has_statement(module, HELPER)):
        return module
    mapping: dict[int, cst.CSTNode] = {}
    for qualname, func in qualified_functions(module):
        if func.name.value == _NAME:
            continue
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        facts = function_facts(func, observed.get(qualname, {}))
        for node in ct.own_nodes(func):
            if isinstance(node, cst.GeneratorExp | cst.ListComp):
                found = _window(node, types, facts)
                if found is not None:
                    mapping[id(node)] = found
            elif isinstance(node, cst.For):
                mapping.update(_window_loop(func, node, types, facts))
    if not mapping:
        return module
    return ct.insert_helper(ct.replace_nodes(module, mapping), HELPER)


def _window(node, types, facts) -> cst.BaseExpression | None:
    comp = node.for_in
    if comp.inner_for_in is not None or comp.ifs or comp.asynchronous or not isinstance(comp.target, cst.Name):
        return None
    found = _window_sum(node.elt, comp.target.value, comp.iter, types, facts)
    if found is None:
        return None
    values, k = found
    call = cst.parse_expression(f"{_NAME}({values}, {k})")
    return call if isinstance(node, cst.GeneratorExp) else cst.parse_expression(f"list({_NAME}({values}, {k}))")


def _window_sum(elt, i: str, iterable, types, facts) -> tuple[str, str] | None:
    """(X, K code) when ``elt`` is ``sum(X[i:i + K])`` and ``iterable`` is ``range(len(X) - K + 1)``."""
    if not (ct.is_call_to(elt, "sum") and len(elt.args) == 1 and elt.args[0].keyword is None
            and not elt.args[0].star and isinstance(elt.args[0].value, cst.Subscript)):
        return None
    found = _window_slice(elt.args[0].value, i, types)
    if found is None:
        return None
    values, k = found
    expected = f"range(len({values}) - {k} + 1)"
    if _CODE.code_for_node(iterable).replace(" ", "") != expected.replace(" ", ""):
        return None
    if types.get(values) not in ("list[int]", "list[float]") or not facts.never_changed(values):
        return None
    return values, k


def _window_slice(sliced: cst.Subscript, i: str, types) -> tuple[str, str] | None:
    """(X, K code) of ``X[i:i + K]`` (or ``X[i:K + i]``) with an int ``K`` other than ``i``."""
    if not isinstance(sliced.value, cst.Name) or len(sliced.slice) != 1 or not isinstance(sliced.slice[0].slice, cst.Slice):
        return None
    part = sliced.slice[0].slice
    if part.step is not None or not m.matches(part.lower, m.Name(i)) or not isinstance(part.upper, cst.BinaryOperation):
        return None
    upper = part.upper
    if not isinstance(upper.operator, cst.Add):
        return None
    k = upper.right if m.matches(upper.left, m.Name(i)) else upper.left if m.matches(upper.right, m.Name(i)) else None
    if k is None or not (isinstance(k, cst.Integer) or (isinstance(k, cst.Name) and k.value != i and types.get(k.value) == "int")):
        return None
    return sliced.value.value, _CODE.code_for_node(k)


def _window_loop(func, loop: cst.For, types, facts) -> dict[int, object]:
    """The replacements turning a ``for i in range(...)`` loop over window sums into a
    loop over ``enumerate(_window_sums(X, K))``; empty when the loop does not qualify."""
    if loop.asynchronous or not isinstance(loop.target, cst.Name) or not isinstance(loop.body, cst.IndentedBlock):
        return {}
    i, body = loop.target.value, loop.body
    chunk = _chunk_statement(func, loop)
    sums = [n for n in ct.walk(body) if ct.is_call_to(n, "sum") and len(n.args) == 1]
    if chunk is not None:
        name, sliced = chunk.body[0].targets[0].target.value, chunk.body[0].value
        sums = [n for n in sums if m.matches(n.args[0].value, m.Name(name))]
        sums = [cst.Call(func=cst.Name("sum"), args=[cst.Arg(sliced)])] if len(sums) == 1 else []
        found_in = [n for n in ct.walk(body) if ct.is_call_to(n, "sum") and m.matches(n.args[0].value, m.Name(name))]
    else:
        sums = [n for n in sums if isinstance(n.args[0].value, cst.Subscript)
                and _window_slice(n.args[0].value, i, types) is not None]
        found_in = sums
    if len(sums) != 1 or len(found_in) != 1:
        return {}
    found = _window_sum(sums[0], i, loop.iter, types, facts)
    bound = ct.collect(body).bound - ({chunk.body[0].targets[0].target.value} if chunk is not None else set())
    if found is None or i in bound or found[1] in bound or ct.collect(body).impure:
        return {}
    total = ct.FreshNames(func)("window_sum")
    values, k = found
    header = cst.parse_statement(f"for {i}, {total} in enumerate({_NAME}({values}, {k})):\n    pass\n")
    new_body = ct.replace_nodes(body, {id(found_in[0]): cst.Name(total),
                                       **({id(chunk): cst.RemovalSentinel.REMOVE} if chunk is not None else {})})
    return {id(loop): loop.with_changes(target=header.target, iter=header.iter, body=new_body)}


def _chunk_statement(func, loop: cst.For) -> cst.SimpleStatementLine | None:
    """The loop's first statement ``chunk = X[...]`` when ``chunk`` is bound only there,
    read only inside the loop, and the loop has more statements."""
    first = loop.body.body[0]
    if len(loop.body.body) < 2 or not m.matches(first, m.SimpleStatementLine(
            body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Subscript())])):
        return None
    name = first.body[0].targets[0].target.value
    if ct.binding_count(func, name) != 1 or ct.read_outside(func, name, loop) or len(ct.name_refs(loop, name)) != 2:
        return None  # bound here, read once (as ``sum(chunk)``, checked by the caller)
    return first
