"""Compute loop-invariant aggregates once, before the loop, instead of on every iteration.

Rewrites::

    above = [x for x in values if x > sum(values) / len(values)]

into::

    values_sum = sum(values)
    values_len = len(values)
    above = [x for x in values if x > values_sum / values_len]

The loop is a ``for``/``while`` statement not nested in another loop, or a simple
statement (assignment, ``return``, expression) outside loops that holds a comprehension.
The hoisted expressions are the repeated parts' (a ``for`` statement's iterable and a
comprehension's first iterable run once and are left alone):

- ``len(x)``, where ``x`` is a list, tuple, str, bytes, dict, set, frozenset or deque;
- ``sum(x)``, where ``x`` is a list, tuple, set or frozenset of int, bool or float;
- ``x.lower()`` and the other no-argument :data:`STR_PURE_METHODS` of a str ``x``;
- ``set(x)`` / ``frozenset(x)`` used only as the right operand of ``in``/``not in``,
  where ``x`` is such a collection of int, str, bool or bytes.

Preconditions, proven from the code and the types (observed at run time, else
annotations, else the literal a local is built from):

1. ``x`` is a name the loop statement never binds, never changes in place (no mutating
   method, item or attribute store, augmented assignment, ``del``), which is not handed
   to unknown code anywhere in the function, not rebound in it (so its type is the one
   observed), and not ``global``/``nonlocal``;
2. the loop statement calls only built-ins not rebound in the module, methods of locals
   the function built as lists, dicts or sets, and pure methods of strs; it has no
   ``yield``, ``await``, lambda, walrus or nested scope: no code runs that could change
   ``x`` behind its name;
3. the hoisted expressions cannot raise for those types and return a fresh value equal
   each time (an int, a float, a str, or a set only probed): evaluating them once, before
   the loop, even when the loop body never runs, is indistinguishable from evaluating
   them on every iteration;
4. the built-ins named (``len``, ``sum``, ``set``...) are not rebound in the module.
"""

from __future__ import annotations

import libcst as cst

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    STR_PURE_METHODS,
    FunctionFacts,
    calls_only_known,
    element_type,
    function_facts,
    names_changed_in,
    qualified_functions,
    split_type,
)

_SIZED = {"list", "tuple", "str", "bytes", "dict", "set", "frozenset", "deque"}
_SUMMABLE = {"list", "tuple", "set", "frozenset"}
_NUMBERS = {"int", "bool", "float"}
_HASHABLE = {"int", "str", "bool", "bytes"}
_NO_ARG_STR = STR_PURE_METHODS & {"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title",
                                  "swapcase", "capitalize"}
_SUFFIX = {"len": "len", "sum": "sum", "set": "set", "frozenset": "set"}


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        fresh = ct.FreshNames(func)
        for stmt, regions in ct.loop_regions(func.body):
            if ct.collect(stmt).impure or not calls_only_known(stmt, facts, shadowed):
                continue
            found = _invariants(stmt, regions, facts, shadowed)
            if found:
                _plan(fresh, stmt, found, mapping)
    return ct.replace_nodes(module, mapping) if mapping else module


def _invariants(stmt, regions, facts: FunctionFacts, shadowed) -> list[cst.Call]:
    changed = names_changed_in(stmt)
    parents = ct.parent_map(stmt)
    found = []
    for region in regions:
        for node in ct.walk(region):
            if isinstance(node, cst.Call) and _hoistable(node, parents, facts, shadowed, changed):
                found.append(node)
    return found


def _hoistable(call: cst.Call, parents, facts: FunctionFacts, shadowed, changed) -> bool:
    subject = _subject(call)
    if subject is None or subject in changed or not facts.never_changed(subject):
        return False
    kind = facts.type_of(subject)
    head, item = split_type(kind)[0], element_type(kind)
    if isinstance(call.func, cst.Attribute):
        return head == "str" and call.func.attr.value in _NO_ARG_STR and not call.args
    name = call.func.value
    if name in shadowed:
        return False
    if name == "len":
        return head in _SIZED
    if name == "sum":
        return head in _SUMMABLE and item in _NUMBERS
    parent = parents.get(id(call))
    probed = isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, cst.In | cst.NotIn)
    return name in ("set", "frozenset") and probed and head in _SUMMABLE | {"str"} and (
        item in _HASHABLE or head == "str")


def _subject(call: cst.Call) -> str | None:
    """``x`` of ``f(x)`` (one positional argument) or of ``x.method()``."""
    if isinstance(call.func, cst.Attribute):
        return call.func.value.value if isinstance(call.func.value, cst.Name) else None
    if not isinstance(call.func, cst.Name) or call.func.value not in _SUFFIX or len(call.args) != 1:
        return None
    arg = call.args[0]
    return arg.value.value if isinstance(arg.value, cst.Name) and not arg.keyword and not arg.star else None


def _plan(fresh, stmt, calls, mapping) -> None:
    code = cst.Module([]).code_for_node
    names: dict[str, str] = {}
    assigns = []
    for call in calls:
        text = code(call)
        if text not in names:
            name = fresh(f"{_subject(call)}_{_label(call)}")
            names[text] = name
            assigns.append(cst.parse_statement(f"{name} = {text}\n"))
        mapping[id(call)] = cst.Name(names[text])
    ct.insert_before(mapping, stmt, assigns)


def _label(call: cst.Call) -> str:
    if isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    return _SUFFIX[call.func.value]
