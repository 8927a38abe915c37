"""Keep a list used as a priority queue as a binary heap (``heapq``).

Rewrites a local list ``q`` that is only ever drained by its minimum and grown at the end::

    q = list(items)                  ->  q = list(items)
                                         heapq.heapify(q)
    while len(q) > 1:                    while len(q) > 1:
        a = min(q)                           a = heapq.heappop(q)
        q.remove(a)
        b = q.pop(q.index(min(q)))           b = heapq.heappop(q)
        q.append(a + b)                      heapq.heappush(q, a + b)

Preconditions, proven from the code and the types (observed at run time, else
annotations):

1. ``q`` is bound once in the function body, by a statement of the body itself:
   ``q = list(x)``, ``q = sorted(x)`` (``x`` a collection of ints) or a list display of
   int literals; before that statement ``q`` is read only in it, and it is not
   ``global``/``nonlocal``;
2. after it, ``q`` is used only as: ``m = min(q)`` directly followed by
   ``q.remove(m)``, ``q.pop(q.index(min(q)))`` as a whole right-hand side, ``q.append(v)``
   as a statement with ``v`` proven an int (from popped values, ints by type and int
   literals), ``len(q)``, or a truth test: so the order of its items is never observed,
   only the multiset and its minimum; with ints, equal items are indistinguishable, so
   which of several equal minima is taken does not matter;
3. every pop is a statement directly in the body of a ``while`` whose test is
   ``len(q) > n``, ``len(q) >= n`` or ``q``, and the pops before any other statement that
   could change ``q`` never exceed what the test guarantees: ``min`` of an empty list
   raises ValueError where ``heappop`` would raise IndexError, so no pop may meet an
   empty list;
4. ``heapq`` is not bound in the module other than by ``import heapq``, and ``min``,
   ``len``, ``list`` and ``sorted`` are not rebound.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    function_facts,
    is_int_expr,
    param_type,
    qualified_functions,
)

_POP_CALL = "heapq.heappop({q})"


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"min", "len", "list", "sorted"} & shadowed or ("heapq" in shadowed and "heapq" not in ct.imported_modules(module)):
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        body = ct.body_statements(func)
        for index, stmt in enumerate(body):
            found = _queue_binding(func, stmt, facts)
            if found is not None:
                edits = _plan(func, body, index, *found)
                if edits:
                    mapping.update(edits)
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), "import heapq")


def _queue_binding(func, stmt, facts) -> tuple[str, set[str]] | None:
    """(q, names known to hold ints) for ``q = list(x)`` / ``sorted(x)`` / ``[ints]``."""
    pattern = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])
    if not m.matches(stmt, pattern):
        return None
    assign = stmt.body[0]
    value = assign.value
    if m.matches(value, m.Call(func=m.Name("list") | m.Name("sorted"), args=[m.Arg(m.Name(), keyword=None, star="")])):
        source = value.args[0].value.value
        if source in facts.params:  # read here, before any rebinding: its type on entry
            kind = param_type(func, facts, source)
        else:
            kind = facts.type_of(source) if facts.never_changed(source) else None
        if element_type(kind) != "int":
            return None
    elif not (isinstance(value, cst.List) and all(isinstance(e, cst.Element) and isinstance(e.value, cst.Integer)
                                                  for e in value.elements)):
        return None
    ints = {n for n, t in {**facts.local_types, **facts.observed}.items()
            if t == "int" and n not in facts.rebound | facts.mutated}
    return assign.targets[0].target.value, ints


def _plan(func, body, index, q: str, ints: set[str]) -> dict[int, object]:
    """The edits for queue ``q`` bound by ``body[index]``, or nothing when unproven."""
    binding = body[index]
    if ct.binding_count(func.body, q) != 1:
        return {}
    before = {id(n) for s in body[:index] for n in ct.walk(s)}
    refs = ct.name_refs(func.body, q)
    if any(id(r) in before for r in refs):
        return {}
    parents = ct.parent_map(func)
    edits: dict[int, object] = {}
    popped: dict[str, int] = {}
    handled: set[int] = {id(r) for r in ct.name_refs(binding, q)}
    for loop in (n for s in body[index + 1:] for n in ct.walk(s) if isinstance(n, cst.While)):
        if not _plan_loop(loop, q, edits, handled, popped, parents):
            return {}
    # a popped name holds an int only if nothing but pops binds it
    popped_ints = {n for n, count in popped.items() if ct.binding_count(func.body, n) == count}
    for ref in refs:
        if id(ref) in handled or ct.is_len_of(ref, parents, set()) or ct.is_truth_test(ref, parents):
            continue
        push = _push(ref, q, parents, ints | popped_ints)
        if push is None:
            return {}
        edits[id(push)] = cst.parse_statement(f"heapq.heappush({q}, {_code(push.body[0].value.args[0].value)})\n")
    if not popped:
        return {}
    heapify = cst.parse_statement(f"heapq.heapify({q})\n")
    edits[id(binding)] = cst.FlattenSentinel([binding, heapify])
    return edits


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _plan_loop(loop: cst.While, q: str, edits, handled: set[int], popped: dict[str, int], parents) -> bool:
    """Edit the pops in ``loop``'s body while the guaranteed size allows; False if a pop is unsafe."""
    available = _guaranteed(loop.test, q)
    statements = list(loop.body.body)
    skip = set()
    for i, stmt in enumerate(statements):
        if id(stmt) in skip:
            continue
        pop = _pop(stmt, statements[i + 1] if i + 1 < len(statements) else None, q)
        if pop is None:
            if any(isinstance(n, cst.Name) and n.value == q for n in ct.walk(stmt)) and _pushes_only(stmt, q):
                available += 1
            elif _mentions_pop(stmt, q):
                return False
            continue
        target, removed = pop
        if available < 1:
            return False
        available -= 1
        popped[target] = popped.get(target, 0) + 1
        edits[id(stmt)] = cst.parse_statement(f"{target} = {_POP_CALL.format(q=q)}\n").with_changes(
            leading_lines=stmt.leading_lines)
        handled.update(id(n) for n in ct.walk(stmt) if isinstance(n, cst.Name) and n.value == q)
        if removed is not None:
            skip.add(id(removed))
            edits[id(removed)] = cst.RemovalSentinel.REMOVE
            handled.update(id(n) for n in ct.walk(removed) if isinstance(n, cst.Name) and n.value == q)
    return True


def _guaranteed(test, q: str) -> int:
    """How many items ``q`` certainly holds when ``test`` is true."""
    if m.matches(test, m.Name(q)):
        return 1
    size = m.Call(func=m.Name("len"), args=[m.Arg(m.Name(q))])
    if m.matches(test, m.Comparison(left=size, comparisons=[m.ComparisonTarget(m.GreaterThan(), m.Integer())])):
        return int(test.comparisons[0].comparator.value) + 1
    if m.matches(test, m.Comparison(left=size, comparisons=[m.ComparisonTarget(m.GreaterThanEqual(), m.Integer())])):
        return int(test.comparisons[0].comparator.value)
    return 0


def _pop(stmt, following, q: str):
    """(target, removing statement or None) for ``t = min(q)`` + ``q.remove(t)`` or
    ``t = q.pop(q.index(min(q)))``."""
    assign = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])
    if not m.matches(stmt, assign):
        return None
    target, value = stmt.body[0].targets[0].target.value, stmt.body[0].value
    least = m.Call(func=m.Name("min"), args=[m.Arg(m.Name(q), keyword=None, star="")])
    if m.matches(value, least) and following is not None:
        remove = m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Attribute(m.Name(q), m.Name("remove")),
                                                           args=[m.Arg(m.Name(target))]))])
        if m.matches(following, remove) and target != q:
            return target, following
        return None
    index = m.Call(func=m.Attribute(m.Name(q), m.Name("index")), args=[m.Arg(least)])
    if m.matches(value, m.Call(func=m.Attribute(m.Name(q), m.Name("pop")), args=[m.Arg(index)])) and target != q:
        return target, None
    return None


def _pushes_only(stmt, q: str) -> bool:
    return m.matches(stmt, m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Attribute(m.Name(q), m.Name("append"))))]))


def _mentions_pop(stmt, q: str) -> bool:
    """``stmt`` holds a ``min(q)`` or ``q.pop``/``q.remove`` not in the recognised shapes."""
    for node in ct.walk(stmt):
        if m.matches(node, m.Call(func=m.Name("min"), args=[m.Arg(m.Name(q))])):
            return True
        if m.matches(node, m.Attribute(m.Name(q), m.Name("pop") | m.Name("remove"))):
            return True
    return False


def _push(ref, q: str, parents, ints: set[str]):
    """The statement ``q.append(v)`` holding ``ref``, with ``v`` an int, else None."""
    attr = parents.get(id(ref))
    call = parents.get(id(attr))
    expr = parents.get(id(call))
    line = parents.get(id(expr))
    if not isinstance(line, cst.SimpleStatementLine) or not _pushes_only(line, q) or line.body[0].value is not call:
        return None
    args = call.args
    if len(args) != 1 or args[0].keyword or args[0].star or not is_int_expr(args[0].value, ints):
        return None
    return line
