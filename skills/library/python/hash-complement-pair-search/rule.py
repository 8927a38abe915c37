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
   function, and ``target`` is an int (a parameter or local never rebound, or an int
   literal): for ints ``a + b == t`` exactly when ``a == t - b``, hashing and ``==``
   agree, and nothing can raise;
3. ``range``, ``len`` are not rebound in the module; the names ``seen``/``x`` chosen for
   the new loop are fresh.

Finding *which* pair (the first in the loops' order) is a different search and is left
alone.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    function_facts,
    qualified_functions,
    split_type,
)


def rewrite(module: cst.Module, observed) -> cst.Module:
    if {"range", "len"} & ct.module_bindings(module):
        return module
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
    return ct.replace_nodes(module, mapping) if mapping else module


def _pair_count(func, facts, init, outer):
    """(count, xs, target) when ``init`` + ``outer`` count pairs summing to target."""
    start = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Integer())])
    if not m.matches(init, start) or not isinstance(outer, cst.For) or outer.orelse:
        return None
    count = init.body[0].targets[0].target.value
    size = m.Call(func=m.Name("len"), args=[m.Arg(m.Name())])
    if not m.matches(outer, m.For(target=m.Name(), iter=m.Call(func=m.Name("range"), args=[m.Arg(size)]))):
        return None
    i, xs = outer.target.value, outer.iter.args[0].value.args[0].value.value
    after_i = m.BinaryOperation(left=m.Name(i), operator=m.Add(), right=m.Integer("1"))
    inner_size = m.Call(func=m.Name("len"), args=[m.Arg(m.Name(xs))])
    inner = m.For(target=m.Name(), iter=m.Call(func=m.Name("range"), args=[m.Arg(after_i), m.Arg(inner_size)]),
                  orelse=None)
    if not (isinstance(outer.body, cst.IndentedBlock) and len(outer.body.body) == 1
            and m.matches(outer.body.body[0], inner)):
        return None
    loop = outer.body.body[0]
    j = loop.target.value
    bump = m.SimpleStatementLine(body=[m.AugAssign(target=m.Name(count), operator=m.AddAssign(), value=m.Integer("1"))])
    shape = m.IndentedBlock(body=[m.If(orelse=None, body=m.IndentedBlock(body=[bump]))])
    if not m.matches(loop.body, shape):
        return None
    target = _sum_target(loop.body.body[0].test, xs, i, j)
    if target is None or len({i, j, xs, count}) != 4 or count in ct.names_read(target):
        return None
    if ct.loop_variable_read_after(func, outer) or ct.loop_variable_read_after(func, loop):
        return None
    kind = facts.type_of(xs)
    if split_type(kind)[0] not in ("list", "tuple") or element_type(kind) != "int" or not facts.never_changed(xs):
        return None
    if not (isinstance(target, cst.Integer) or (
            isinstance(target, cst.Name) and facts.type_of(target.value) == "int"
            and target.value not in facts.rebound | facts.mutated | {i, j})):
        return None
    return count, xs, target


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
