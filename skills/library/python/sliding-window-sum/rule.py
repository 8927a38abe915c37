"""Replace re-summing every window with a running window sum.

``(sum(X[i : i + K]) for i in range(len(X) - K + 1))`` as a generator (the argument of
``max``/``min``/``sum``/``list``...) becomes ``_window_sums(X, K)``, and the list
comprehension of the same shape ``list(_window_sums(X, K))``. ``_window_sums`` is a
module-level generator the rule adds: for ``K >= 1`` it sums the first window once and
then moves it (``window += X[i + K - 1] - X[i - 1]``); for ``K <= 0`` it yields exactly
what the original slices give (empty or wrapped windows), summing each slice.

Preconditions, proven from the code and the facts:

1. ``X`` has type ``list[int]`` (observed, else hinted) and is never changed in the
   function: int sums are exact, so moving the window gives the very sums ``sum`` gives,
   and the lazily started generator reads the list the original would have read;
2. ``K`` is an int literal or an int-typed name (:func:`typed_names`), not ``i``;
3. the slice is ``X[i:i + K]`` (or ``K + i``) with no step, and ``i`` is the only
   generator variable, over exactly ``range(len(X) - K + 1)``;
4. ``sum``, ``len``, ``range``, ``list`` are the built-ins; ``_window_sums`` is free
   (or is this rule's helper); not inside a nested function or lambda.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import function_facts, qualified_functions, typed_names

HELPER = '''def _window_sums(values, k):
    """``sum(values[i:i + k])`` for each ``i`` in ``range(len(values) - k + 1)``, in order."""
    if k <= 0:
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
    if not mapping:
        return module
    return ct.insert_helper(ct.replace_nodes(module, mapping), HELPER)


def _window(node, types, facts) -> cst.BaseExpression | None:
    comp = node.for_in
    if comp.inner_for_in is not None or comp.ifs or comp.asynchronous or not isinstance(comp.target, cst.Name):
        return None
    i = comp.target.value
    elt = node.elt
    if not (ct.is_call_to(elt, "sum") and len(elt.args) == 1 and elt.args[0].keyword is None
            and not elt.args[0].star and isinstance(elt.args[0].value, cst.Subscript)):
        return None
    sliced = elt.args[0].value
    if not isinstance(sliced.value, cst.Name) or len(sliced.slice) != 1 or not isinstance(sliced.slice[0].slice, cst.Slice):
        return None
    part, values = sliced.slice[0].slice, sliced.value.value
    if part.step is not None or not m.matches(part.lower, m.Name(i)) or not isinstance(part.upper, cst.BinaryOperation):
        return None
    upper = part.upper
    if not isinstance(upper.operator, cst.Add):
        return None
    k = upper.right if m.matches(upper.left, m.Name(i)) else upper.left if m.matches(upper.right, m.Name(i)) else None
    if k is None or not (isinstance(k, cst.Integer) or (isinstance(k, cst.Name) and k.value != i and types.get(k.value) == "int")):
        return None
    code = cst.Module([]).code_for_node
    expected = f"range(len({values}) - {code(k)} + 1)"
    if code(comp.iter).replace(" ", "") != expected.replace(" ", ""):
        return None
    if types.get(values) != "list[int]" or not facts.never_changed(values):
        return None
    call = cst.parse_expression(f"{_NAME}({values}, {code(k)})")
    return call if isinstance(node, cst.GeneratorExp) else cst.parse_expression(f"list({_NAME}({values}, {code(k)}))")
