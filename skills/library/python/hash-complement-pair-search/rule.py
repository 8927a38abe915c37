"""Count pairs with a given sum by looking up complements instead of checking all pairs.

Rewrites::

    count = 0                                        count = 0
    for i in range(len(xs)):                         seen = {}
        for j in range(i + 1, len(xs)):      ->      for x in xs:
            if xs[i] + xs[j] == target:                  count += seen.get(target - x, 0)
                count += 1                               seen[x] = seen.get(x, 0) + 1

For each position, the new loop adds how many earlier items complete it, which is how
many pairs ``i < j`` end there: the same total, O(n) instead of O(n^2). Preconditions,
proven from the code and the types (observed at run time, else annotations):

1. the start ``count = <int literal>`` comes right before the outer loop, and the loops
   have exactly this shape (either operand order in the sum and around ``==``), no
   ``else``, with ``i`` and ``j`` not read after them;
2. ``xs`` is a list or tuple of ints never changed, rebound or handed out in the
   function, and ``target`` is an int (a parameter never rebound, or an int
   literal): for ints ``a + b == t`` exactly when ``a == t - b``, hashing and ``==``
   agree, and nothing can raise;
3. ``range``, ``len`` are not rebound in the module; the names ``seen``/``x`` chosen for
   the new loop are fresh.

The same loops that ``return E`` for the first pair found (``return i, j``) become a
search with the same answer::

    positions = {}                                   (every value's ascending positions)
    for position, x in enumerate(xs):
        positions.setdefault(x, []).append(position)
    for i in range(len(xs)):
        later = positions.get(target - xs[i], ())
        k = bisect.bisect_right(later, i)          (the first position past i)
        if k < len(later):
            j = later[k]
            return E

for the smallest ``i`` that has a partner, its smallest partner ``j > i``: the loops'
first pair. ``len(xs)`` may be a local bound once to it (``n = len(xs)``, before the
loops). Preconditions as above, with ``E`` free of ``yield``/``await``/walrus, and
``bisect``, ``enumerate`` not bound otherwise in the module (``import bisect`` is added).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    function_facts,
    length_alias,
    qualified_functions,
    split_type,
)


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"range", "len", "enumerate"} & shadowed:
        return module
    imported = ct.imported_modules(module).get("bisect") == "bisect"
    bisect_free = ct.binding_count(module, "bisect") == (1 if imported else 0)
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        fresh = ct.FreshNames(func)
        for block in (n for n in ct.walk(func.body) if isinstance(n, cst.IndentedBlock)):
            body = list(block.body)
            for init, loop in zip(body, body[1:], strict=False):
                found = _pair_count(func, facts, init, loop)
                if found is not None:
                    mapping[id(loop)] = _counting_loop(fresh, loop, *found)
            for loop in body:
                found = _first_pair(func, facts, loop) if bisect_free and id(loop) not in mapping else None
                if found is not None:
                    mapping[id(loop)] = _first_pair_search(fresh, loop, *found)
    if not mapping:
        return module
    module = ct.replace_nodes(module, mapping)
    return ct.add_import(module, "import bisect") if "bisect.bisect_right(" in module.code else module


def _pair_loops(func, facts, outer):
    """(i, j, xs, inner loop, target) when ``outer`` is ``for i in range(len(xs))`` holding
    only ``for j in range(i + 1, len(xs))`` holding only ``if xs[i] + xs[j] == target:``
    (``len(xs)`` or a local bound once to it, :func:`length_alias`), over a list or tuple
    of ints never changed, with an int target that no loop changes, and neither loop
    variable read after the loops; else None."""
    if not isinstance(outer, cst.For) or outer.orelse or outer.asynchronous:
        return None
    if not m.matches(outer, m.For(target=m.Name(), iter=m.Call(func=m.Name("range"), args=[m.Arg()]))):
        return None
    i, xs = outer.target.value, length_alias(func, facts, outer.iter.args[0].value, outer)
    after_i = m.BinaryOperation(left=m.Name(i), operator=m.Add(), right=m.Integer("1"))
    inner = m.For(target=m.Name(), iter=m.Call(func=m.Name("range"), args=[m.Arg(after_i), m.Arg()]), orelse=None)
    if xs is None or not (isinstance(outer.body, cst.IndentedBlock) and len(outer.body.body) == 1
                          and m.matches(outer.body.body[0], inner)):
        return None
    loop = outer.body.body[0]
    j = loop.target.value
    if length_alias(func, facts, loop.iter.args[1].value, outer) != xs or loop.asynchronous:
        return None
    shape = m.IndentedBlock(body=[m.If(orelse=None, body=m.IndentedBlock(body=[m.SimpleStatementLine()]))])
    if not m.matches(loop.body, shape):
        return None
    target = _sum_target(loop.body.body[0].test, xs, i, j)
    if target is None or len({i, j, xs}) != 3:
        return None
    if ct.loop_variable_read_after(func, loop) or ct.loop_variable_read_after(func, outer):
        return None
    kind = facts.type_of(xs)
    if split_type(kind)[0] not in ("list", "tuple") or element_type(kind) != "int" or not facts.never_changed(xs):
        return None
    if not (isinstance(target, cst.Integer) or (
            isinstance(target, cst.Name) and facts.type_of(target.value) == "int" and facts.is_param(target.value)
            and target.value not in facts.rebound | facts.mutated | {i, j})):
        return None  # a parameter: bound before the loops, as the rewrite reads it even for one item
    return i, j, xs, loop, target


def _pair_count(func, facts, init, outer):
    """(count, xs, target) when ``init`` + ``outer`` count pairs summing to target."""
    start = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Integer())])
    if not m.matches(init, start):
        return None
    count = init.body[0].targets[0].target.value
    found = _pair_loops(func, facts, outer)
    if found is None:
        return None
    i, j, xs, loop, target = found
    bump = m.SimpleStatementLine(body=[m.AugAssign(target=m.Name(count), operator=m.AddAssign(), value=m.Integer("1"))])
    if not m.matches(loop.body.body[0].body.body[0], bump) or count in {i, j, xs} | ct.names_read(target):
        return None
    return count, xs, target


def _first_pair(func, facts, outer):
    """(i, j, xs, target, returned) when ``outer`` returns ``returned`` for the first pair
    (in the loops' order) summing to target: the pair loops with ``return E`` as the ``if``'s
    only statement; E reads no name the loops change but ``i`` and ``j``."""
    found = _pair_loops(func, facts, outer)
    if found is None:
        return None
    i, j, xs, loop, target = found
    statement = loop.body.body[0].body.body[0]
    if not m.matches(statement, m.SimpleStatementLine(body=[m.Return(value=m.DoNotCare())])):
        return None
    returned = statement.body[0].value
    if returned is None or any(isinstance(n, cst.Yield | cst.Await | cst.NamedExpr) for n in ct.walk(returned)):
        return None
    return i, j, xs, target, returned


def _first_pair_search(fresh, outer: cst.For, i: str, j: str, xs: str, target, returned) -> cst.FlattenSentinel:
    """For each ``i`` in order, the smallest later ``j`` whose item completes it: the
    ascending positions of every value, and a binary search past ``i`` in those of
    ``target - xs[i]``. The first ``i`` with such a ``j`` is the loops' first pair (ints:
    ``a + b == t`` exactly when ``b == t - a``, and hashing agrees with ``==``)."""
    positions, at, x, later, k = fresh("positions"), fresh("position"), fresh("x"), fresh("later"), fresh("k")
    code = cst.Module([]).code_for_node
    search = (f"{positions} = {{}}\n"
              f"for {at}, {x} in enumerate({xs}):\n"
              f"    {positions}.setdefault({x}, []).append({at})\n"
              f"for {i} in {code(outer.iter)}:\n"
              f"    {later} = {positions}.get({code(target)} - {xs}[{i}], ())\n"
              f"    {k} = bisect.bisect_right({later}, {i})\n"
              f"    if {k} < len({later}):\n"
              f"        {j} = {later}[{k}]\n"
              f"        return {code(returned)}\n")
    first, *rest = cst.parse_module(search).body
    return cst.FlattenSentinel([first.with_changes(leading_lines=outer.leading_lines), *rest])


def _sum_target(test, xs: str, i: str, j: str):
    """``t`` of ``xs[i] + xs[j] == t`` (any operand order), else None."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    if not isinstance(test.comparisons[0].operator, cst.Equal):
        return None

    def item(k: str):
        return m.Subscript(value=m.Name(xs), slice=[m.SubscriptElement(m.Index(m.Name(k)))])

    pair = m.BinaryOperation(left=item(i), operator=m.Add(), right=item(j)) | m.BinaryOperation(
        left=item(j), operator=m.Add(), right=item(i))
    left, right = test.left, test.comparisons[0].comparator
    if m.matches(left, pair):
        return right
    if m.matches(right, pair):
        return left
    return None


def _counting_loop(fresh, loop: cst.For, count: str, xs: str, target) -> cst.FlattenSentinel:
    """The complement-counting statements, keeping the comments above the old loop."""
    seen, x = fresh("seen"), fresh("x")
    t = cst.Module([]).code_for_node(target)
    code = (f"{seen} = {{}}\n"
            f"for {x} in {xs}:\n"
            f"    {count} += {seen}.get({t} - {x}, 0)\n"
            f"    {seen}[{x}] = {seen}.get({x}, 0) + 1\n")
    first, *rest = cst.parse_module(code).body
    return cst.FlattenSentinel([first.with_changes(leading_lines=loop.leading_lines), *rest])
