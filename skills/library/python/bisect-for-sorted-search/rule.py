"""Count the items of a proven-sorted list below a value by binary search (``bisect``).

Rewrites, for a list ``s`` proven sorted ascending::

    count = 0                          ->  count = bisect.bisect_left(s, q)
    for x in s:                            (``x > q`` breaks: ``bisect_right``)
        if x >= q:
            break
        count += 1

    sum(1 for x in s if x < q)         ->  bisect.bisect_left(s, q)
    sum(1 for x in s if x <= q)        ->  bisect.bisect_right(s, q)
    sum(1 for x in s if x > q)         ->  len(s) - bisect.bisect_right(s, q)
    sum(1 for x in s if x >= q)        ->  len(s) - bisect.bisect_left(s, q)
                                           (and the mirrored tests ``q > x``...)

Preconditions, proven from the code and the types (observed at run time, else
annotations):

1. ``s`` is a local bound once, by ``s = sorted(x)`` (no ``key``, no ``reverse``) or by
   any assignment followed, in the function body, by a statement ``s.sort()``; apart from
   that ``sort``, ``s`` is never changed in place, handed to unknown code or declared
   ``global``: it is sorted wherever it is searched;
2. its items and the probe ``q`` are both ints (or bools), or both strs: a total order in
   which ``bisect``'s comparisons agree with the loop's;
3. the probe is a name not bound inside the loop or generator, so it is the same value
   for every comparison; for the loop form, the loop variable is not read after the
   loop, the loop has no ``else``, and ``count`` starts at 0 right before it;
4. ``bisect`` is not bound in the module other than by ``import bisect``, and ``sum``,
   ``len`` and ``sorted`` are not rebound.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    function_facts,
    names_changed_in,
    param_type,
    qualified_functions,
)

_INTS = {"int", "bool"}
# (operator type, item on the left) -> (bisect function, counts the items above)
_COUNTS = {
    (cst.LessThan, True): ("bisect_left", False), (cst.LessThanEqual, True): ("bisect_right", False),
    (cst.GreaterThan, True): ("bisect_right", True), (cst.GreaterThanEqual, True): ("bisect_left", True),
    (cst.GreaterThan, False): ("bisect_left", False), (cst.GreaterThanEqual, False): ("bisect_right", False),
    (cst.LessThan, False): ("bisect_right", True), (cst.LessThanEqual, False): ("bisect_left", True),
}


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"sum", "len", "sorted"} & shadowed or ("bisect" in shadowed and "bisect" not in ct.imported_modules(module)):
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        sorted_items = _sorted_lists(func, facts)
        if sorted_items:
            _plan_counts(func, facts, sorted_items, mapping)
            _plan_loops(func, facts, sorted_items, mapping)
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), "import bisect")


def _sorted_lists(func, facts) -> dict[str, str]:
    """Locals proven sorted wherever read: name -> item type."""
    body = ct.body_statements(func)
    out = {}
    for name in {n for n in facts.local_types if not facts.is_param(n)}:
        if ct.binding_count(func.body, name) != 1 or name in facts.escapes | facts.global_names:
            continue
        line = next((s for s in body if m.matches(s, m.SimpleStatementLine(
            body=[m.Assign(targets=[m.AssignTarget(m.Name(name))])]))), None)
        if line is None:
            continue
        assign = line.body[0]
        sort_at = _sort_statement(body, name)
        if any(name in names_changed_in(s) for s in body if s is not sort_at and s is not line):
            continue
        by_sorted = m.matches(assign.value, m.Call(func=m.Name("sorted"), args=[m.Arg(m.Name(), keyword=None)]))
        if (sort_at is None and by_sorted) or (
                sort_at is not None and _reads_only_after(func, body, name, assign, sort_at)):
            out[name] = _items_of_value(func, facts, assign.value)
    return {n: t for n, t in out.items() if t in _INTS | {"str"}}


def _items_of_value(func, facts, value) -> str | None:
    """The item type of ``sorted(x)``/``list(x)``/``tuple(x)`` or of a display of ints."""
    if m.matches(value, m.Call(func=m.Name("sorted") | m.Name("list") | m.Name("tuple"), args=[m.Arg(m.Name())])):
        source = value.args[0].value.value
        if facts.is_param(source):
            return element_type(param_type(func, facts, source))
        return element_type(facts.type_of(source)) if facts.never_changed(source) else None
    if isinstance(value, cst.List) and value.elements and all(
            isinstance(e, cst.Element) and isinstance(e.value, cst.Integer) for e in value.elements):
        return "int"
    return None


def _sort_statement(body, name: str):
    plain = m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Attribute(m.Name(name), m.Name("sort")), args=[]))])
    found = [s for s in body if m.matches(s, plain)]
    return found[0] if len(found) == 1 else None


def _reads_only_after(func, body, name, assign, sort_at) -> bool:
    """Every use of ``name`` but its binding comes after the ``name.sort()`` statement."""
    position = body.index(sort_at)
    after = {id(n) for s in body[position:] for n in ct.walk(s)}
    bound = {id(t.target) for t in assign.targets}
    return all(id(r) in after or id(r) in bound for r in ct.name_refs(func.body, name))


def _probe_type(func, facts, probe, scope) -> str | None:
    """The probe's type: the items of the nearest enclosing ``for`` or comprehension that
    binds it (over a typed collection never changed), else its own type if never rebound."""
    if not isinstance(probe, cst.Name) or probe.value in ct.collect(scope).bound:
        return None
    name = probe.value
    parents = ct.parent_map(func)
    node = parents.get(id(scope))
    while node is not None and node is not func:
        binder = _binding_loop(node, name)
        if binder is not None:
            if not m.matches(binder.target, m.Name(name)) or not isinstance(binder.iter, cst.Name):
                return None
            if isinstance(node, cst.For) and name in ct.collect(node.body).bound:
                return None
            source = binder.iter.value
            return element_type(facts.type_of(source)) if facts.never_changed(source) else None
        node = parents.get(id(node))
    if name in facts.rebound | facts.mutated:
        return None
    return facts.type_of(name)


def _binding_loop(node, name: str):
    """The ``For``/``CompFor`` of ``node`` binding ``name``, if ``node`` is a loop or comprehension."""
    if isinstance(node, cst.For):
        return node if name in ct.target_names(node.target) else None
    if isinstance(node, ct.COMPREHENSIONS):
        for_in = node.for_in
        while for_in is not None:
            if name in ct.target_names(for_in.target):
                return for_in
            for_in = for_in.inner_for_in
    return None


def _compatible(item: str, probe: str | None) -> bool:
    return (item in _INTS and probe in _INTS) or (item == "str" and probe == "str")


def _search(s: str, probe: cst.Name, function: str, above: bool) -> cst.BaseExpression:
    call = cst.parse_expression(f"bisect.{function}({s}, {probe.value})")
    return cst.parse_expression(f"len({s}) - bisect.{function}({s}, {probe.value})") if above else call


def _plan_counts(func, facts, sorted_items, mapping) -> None:
    """``sum(1 for x in s if <x vs q>)``."""
    for call in ct.walk(func.body):
        if not m.matches(call, m.Call(func=m.Name("sum"), args=[m.Arg(m.GeneratorExp(elt=m.Integer("1")))])):
            continue
        gen = call.args[0].value
        for_in = gen.for_in
        if for_in.inner_for_in or len(for_in.ifs) != 1 or not m.matches(for_in.iter, m.Name()):
            continue
        s = for_in.iter.value
        if s not in sorted_items or not isinstance(for_in.target, cst.Name):
            continue
        found = _comparison(for_in.ifs[0].test, for_in.target.value)
        if found is None:
            continue
        (function, above), probe = found
        if _compatible(sorted_items[s], _probe_type(func, facts, probe, gen)):
            mapping[id(call)] = _search(s, probe, function, above)


def _comparison(test, var: str):
    """((bisect function, above), probe) for ``var < q`` and the other orders."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    op = type(test.comparisons[0].operator)
    left, right = test.left, test.comparisons[0].comparator
    if m.matches(left, m.Name(var)) and isinstance(right, cst.Name) and right.value != var:
        item_left, probe = True, right
    elif m.matches(right, m.Name(var)) and isinstance(left, cst.Name) and left.value != var:
        item_left, probe = False, left
    else:
        return None
    counted = _COUNTS.get((op, item_left))
    return (counted, probe) if counted else None


def _plan_loops(func, facts, sorted_items, mapping) -> None:
    """``count = 0`` + ``for x in s: if x >= q: break; count += 1``."""
    for block in (n for n in ct.walk(func.body) if isinstance(n, cst.IndentedBlock)):
        body = list(block.body)
        for init, loop in zip(body, body[1:], strict=False):
            new = _loop_count(func, facts, sorted_items, init, loop)
            if new is not None:
                mapping[id(init)] = init.with_changes(body=[init.body[0].with_changes(value=new)])
                mapping[id(loop)] = cst.RemovalSentinel.REMOVE


def _loop_count(func, facts, sorted_items, init, loop):
    start = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Integer("0"))])
    if not m.matches(init, start) or not isinstance(loop, cst.For) or loop.orelse or loop.asynchronous:
        return None
    count = init.body[0].targets[0].target.value
    shape = m.IndentedBlock(body=[
        m.If(orelse=None, body=m.IndentedBlock(body=[m.SimpleStatementLine(body=[m.Break()])])),
        m.SimpleStatementLine(body=[m.AugAssign(target=m.Name(count), operator=m.AddAssign(), value=m.Integer("1"))]),
    ])
    if not m.matches(loop.body, shape) or not m.matches(loop.iter, m.Name()) or not isinstance(loop.target, cst.Name):
        return None
    s = loop.iter.value
    if s not in sorted_items or ct.loop_variable_read_after(func, loop):
        return None
    found = _comparison(loop.body.body[0].test, loop.target.value)
    if found is None:
        return None
    (function, above), probe = found
    # the loop counts the items before the first that passes the break test: the items that fail it
    stop = {("bisect_right", True): "bisect_right", ("bisect_left", True): "bisect_left"}.get((function, above))
    if stop is None or probe.value == count or not _compatible(sorted_items[s], _probe_type(func, facts, probe, loop)):
        return None
    return _search(s, probe, stop, False)
