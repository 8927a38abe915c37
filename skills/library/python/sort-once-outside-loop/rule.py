"""Sort an unchanged collection once, before the loop, instead of on every iteration.

Rewrites::

    for k in queries:
        ranked = sorted(scores, reverse=True)     # a statement of the loop body
        out.append(ranked[k])
    ... sorted(scores)[0] ...                     # or a read of a sorted copy, anywhere in it

into ``ranked = sorted(scores, reverse=True)`` (or ``scores_sorted = sorted(scores)``)
right before the outermost loop, and the loop using that one list. Preconditions, proven
from the code and the types (observed at run time, else annotations, else the literal a
local is built from):

The loop is an outermost ``for``/``while`` statement, or a simple statement outside
loops holding a comprehension (the parts run per element; see
:func:`polca.skills.cst_tools.loop_regions`).

1. the call is ``sorted(x)`` with only ``reverse=True``/``reverse=False`` (no ``key``),
   ``sorted`` not rebound in the module, and ``x`` is a list, tuple, set or frozenset of
   int, str, bool, bytes or float: sorting cannot raise, and gives equal lists each time
   (a float nan lands at the same place for the same input);
2. ``x`` is never bound or changed inside the loop, never changed in place, rebound,
   handed to unknown code or declared ``global`` in the function;
3. the loop calls only built-ins not rebound, methods of locals the function built as
   lists, dicts or sets, and pure methods of strs, and has no ``yield``, ``await``,
   lambda, walrus or nested scope (no code runs that could change ``x``);
4. the sorted list is never changed, so one shared list is as good as a fresh one:
   for the statement form, its name is bound only there, read only inside the loop and
   after that statement in the loop body, never changed in place, never handed out; for
   the inline form, the call is only indexed, iterated, probed with ``in`` or passed to
   ``len``/``sum``/``min``/``max``/``any``/``all``.
"""

from __future__ import annotations

import libcst as cst

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    FunctionFacts,
    calls_only_known,
    element_type,
    function_facts,
    names_changed_in,
    qualified_functions,
    split_type,
)

_COLLECTIONS = {"list", "tuple", "set", "frozenset"}
_ORDERED = {"int", "str", "bool", "bytes", "float"}
_READERS = {"len", "sum", "min", "max", "any", "all"}


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"sorted"} & shadowed:
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        fresh = ct.FreshNames(func)
        for stmt, regions in ct.loop_regions(func.body):
            if not ct.collect(stmt).impure and calls_only_known(stmt, facts, shadowed):
                _plan(fresh, func, facts, (stmt, regions), mapping, shadowed)
    return ct.replace_nodes(module, mapping) if mapping else module


def _plan(fresh, func, facts: FunctionFacts, loop_and_regions, mapping, shadowed) -> None:
    loop, regions = loop_and_regions
    changed = names_changed_in(loop)
    parents = ct.parent_map(loop)
    hoisted: list[cst.BaseStatement] = []
    inline_names: dict[str, str] = {}
    code = cst.Module([]).code_for_node
    calls = [n for region in regions for n in ct.walk(region) if isinstance(n, cst.Call)]
    for node in calls:
        if not _invariant_sort(node, facts, changed):
            continue
        stmt = _statement_form(func, facts, loop, node, parents) if isinstance(loop, cst.For | cst.While) else None
        if stmt is not None:
            hoisted.append(stmt)
            mapping[id(stmt)] = cst.RemovalSentinel.REMOVE
        elif _only_read(node, parents, shadowed):
            text = code(node)
            if text not in inline_names:
                name = fresh(f"{node.args[0].value.value}_sorted")
                inline_names[text] = name
                hoisted.append(cst.parse_statement(f"{name} = {text}\n"))
            mapping[id(node)] = cst.Name(inline_names[text])
    if hoisted:
        ct.insert_before(mapping, loop, hoisted)


def _invariant_sort(call: cst.Call, facts: FunctionFacts, changed: set[str]) -> bool:
    if not ct.is_call_to(call, "sorted") or not call.args:
        return False
    first, rest = call.args[0], call.args[1:]
    if first.keyword or first.star or not isinstance(first.value, cst.Name):
        return False
    for arg in rest:
        if arg.keyword is None or arg.keyword.value != "reverse" or not (
            isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False")):
            return False
    name = first.value.value
    kind = facts.type_of(name)
    return (name not in changed and facts.never_changed(name)
            and split_type(kind)[0] in _COLLECTIONS and element_type(kind) in _ORDERED)


def _statement_form(func, facts, loop, call, parents) -> cst.SimpleStatementLine | None:
    """The loop-body statement ``name = sorted(...)`` holding ``call``, when its list is safe to share."""
    assign = parents.get(id(call))
    line = parents.get(id(assign))
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(line, cst.SimpleStatementLine)):
        return None
    target = assign.targets[0].target
    if len(line.body) != 1 or not isinstance(target, cst.Name) or parents.get(id(line)) is not loop.body:
        return None
    if len(loop.body.body) < 2:  # the loop would be left without a body
        return None
    name = target.value
    if ct.binding_count(func, name) != 1 or not facts.never_changed(name):
        return None
    position = loop.body.body.index(line)
    refs = {id(r) for r in ct.name_refs(func, name)} - {id(target)}
    after = {id(n) for stmt in loop.body.body[position + 1:] for n in ct.walk(stmt)}
    return line if refs <= after else None


def _only_read(call: cst.Call, parents, shadowed) -> bool:
    parent = parents.get(id(call))
    if isinstance(parent, cst.Subscript):
        return parent.value is call and not isinstance(parents.get(id(parent)), cst.AssignTarget | cst.Del)
    if isinstance(parent, cst.For | cst.CompFor):
        return parent.iter is call
    if isinstance(parent, cst.ComparisonTarget):
        return isinstance(parent.operator, cst.In | cst.NotIn)
    if isinstance(parent, cst.Arg) and not parent.keyword and not parent.star:
        outer = parents.get(id(parent))
        return (isinstance(outer, cst.Call) and isinstance(outer.func, cst.Name)
                and outer.func.value in _READERS - shadowed and len(outer.args) == 1)
    return False
