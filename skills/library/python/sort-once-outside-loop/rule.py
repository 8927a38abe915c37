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

A second rewrite keeps a list sorted instead of re-sorting it after every append::

    board.append(x)                 ->  bisect.insort(board, x)
    board.sort()

    board.append(x)                 ->  _insort_descending(board, x)
    board.sort(reverse=True)

when the two statements are adjacent in a loop of the function (not a nested one) and:

5. ``x`` is an int or str (literal, or a name typed from observed or hinted types): the
   order is total, so the one sorted list both give is the same list, and neither can raise;
6. ``board`` is a local bound once, to ``[]``, in a function with no global/nonlocal,
   and every other use of it only reads it (indexed or sliced, not assigned through,
   iterated by a loop that does not hold the pair, probed with ``in``, passed alone to
   ``len``/``sum``/``min``/``max``/``any``/``all``, or returned, alone or in a tuple): so the list is sorted
   before each append, and no other code can change it;
7. ``bisect`` is unbound or bound only by ``import bisect`` (the rule adds it), and
   ``_insort_descending`` is unbound or is this rule's helper.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    FunctionFacts,
    calls_only_known,
    element_type,
    function_facts,
    names_changed_in,
    qualified_functions,
    split_type,
    typed_names,
)

_COLLECTIONS = {"list", "tuple", "set", "frozenset"}
_ORDERED = {"int", "str", "bool", "bytes", "float"}
_READERS = {"len", "sum", "min", "max", "any", "all"}
_TOTAL = {"int", "str"}
_IMPORT = "import bisect"
HELPER = '''def _insort_descending(values, x):
    """Insert ``x`` into the descending list ``values`` after every item not less than it:
    the list ``values.append(x); values.sort(reverse=True)`` leaves."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < x:
            hi = mid
        else:
            lo = mid + 1
    values.insert(lo, x)
'''


def rewrite(module: cst.Module, observed) -> cst.Module:
    return _insort_appends(_hoist_sorts(module, observed), observed)


def _hoist_sorts(module: cst.Module, observed) -> cst.Module:
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


def _insort_appends(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    helper_ok = ct.binding_count(module, "_insort_descending") == (1 if ct.has_statement(module, HELPER) else 0)
    bisect_ok = ct.binding_count(module, "bisect") == (1 if ct.has_statement(module, _IMPORT) else 0)
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        types = typed_names(func, function_facts(func, observed.get(qualname)).observed, shadowed)
        loops = ct.ids_inside_loops(func)
        for block in ct.own_blocks(func):
            for append, sort in zip(block.body, block.body[1:], strict=False):
                plan = _append_then_sort(func, append, sort, types)
                if plan is None or id(append) not in loops or not (helper_ok if plan[2] else bisect_ok):
                    continue
                board, value, descending = plan
                call = "_insort_descending" if descending else "bisect.insort"
                new = cst.parse_statement(f"{call}({board}, x)\n")
                new = new.deep_replace(new.body[0].value.args[1].value, value)
                mapping[id(append)] = new.with_changes(leading_lines=append.leading_lines)
                mapping[id(sort)] = cst.RemovalSentinel.REMOVE
    if not mapping:
        return module
    module = ct.replace_nodes(module, mapping)
    if "_insort_descending(" in module.code:
        module = ct.insert_helper(module, HELPER)
    return ct.add_import(module, _IMPORT) if "bisect.insort(" in module.code else module


def _append_then_sort(func, append, sort, types) -> tuple[str, cst.BaseExpression, bool] | None:
    """(list name, appended value, descending) of ``xs.append(v)`` followed by ``xs.sort(...)``."""
    appended = m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("append")),
                                                         args=[m.Arg(keyword=None, star="")]))])
    if not m.matches(append, appended):
        return None
    call = append.body[0].value
    board, value = call.func.value.value, call.args[0].value
    descending = _sort_order(sort, board)
    if descending is None or not _total_order_value(value, types):
        return None
    return (board, value, descending) if _kept_sorted(func, board, append, sort) else None


def _sort_order(stmt, board: str) -> bool | None:
    """True for ``board.sort(reverse=True)``, False for ``board.sort()`` or ``reverse=False``."""
    reverse = m.Arg(keyword=m.Name("reverse"), value=m.Name("True") | m.Name("False"))
    method = m.Attribute(value=m.Name(board), attr=m.Name("sort"))
    sort = m.Call(func=method, args=[]) | m.Call(func=method, args=[reverse])
    if not m.matches(stmt, m.SimpleStatementLine(body=[m.Expr(sort)])):
        return None
    args = stmt.body[0].value.args
    return bool(args) and args[0].value.value == "True"


def _total_order_value(value: cst.BaseExpression, types) -> bool:
    if isinstance(value, cst.Integer | cst.SimpleString):
        return True
    return isinstance(value, cst.Name) and types.get(value.value) in _TOTAL


def _kept_sorted(func, board: str, append, sort) -> bool:
    """``board`` is a local started as ``[]`` that nothing but this pair changes."""
    assign = ct.local_list_assign(func, board)
    if assign is None or not m.matches(assign.value, m.List(elements=[])):
        return False
    parents = ct.parent_map(func)
    pair = {id(append.body[0].value.func.value), id(sort.body[0].value.func.value), id(assign.targets[0].target)}
    holding = {id(loop.iter) for loop in _enclosing(append, parents) if isinstance(loop, cst.For)}
    for ref in ct.name_refs(func, board):
        if id(ref) in pair:
            continue
        if _inside(ref, holding, parents) or not _reads_only(ref, parents):
            return False
    return True


def _enclosing(node, parents) -> list[cst.CSTNode]:
    out = []
    while id(node) in parents:
        node = parents[id(node)]
        out.append(node)
    return out


def _inside(node, ids: set[int], parents) -> bool:
    return any(id(n) in ids for n in [node, *_enclosing(node, parents)])


def _reads_only(ref: cst.Name, parents) -> bool:
    parent = parents.get(id(ref))
    while isinstance(parent, cst.Element) and isinstance(parents.get(id(parent)), cst.Tuple):
        parent = parents.get(id(parents[id(parent)]))  # ``return out, board``
    if isinstance(parent, cst.Return):
        return True
    if isinstance(parent, cst.Subscript) and isinstance(parents.get(id(parent)), cst.AugAssign):
        return False
    return _only_read(ref, parents, set())
