"""Replace hand-written accumulation loops by ``sum``, ``max``/``min``, ``any``/``all``.

Each rewrite takes a start statement and the ``for`` loop right after it, in the same
block, and turns them into one assignment::

    total = 0                        ->  total = sum(x for x in xs if c)    (sum(xs) when plain)
    for x in xs:                         [the start, if not 0, becomes sum's start argument]
        if c:                            (the ``if`` is optional; ``total = total + e`` too)
            total += e

    best = None                      ->  best = max(xs, default=None)
    for x in xs:
        if best is None or x > best:     (``>``, ``>=``, ``<``, ``<=``, either side: max or min)
            best = x

    best = <start>                   ->  best = <start>
    for x in xs:                         best = max(best, max(xs, default=best))
        if x > best:                     (``best = max(xs)`` when the start is ``xs[0]``
                                         and the loop runs over ``xs`` or ``xs[1:]``)
            best = x

    found = False                    ->  found = any(c for x in xs)
    for x in xs:                         (the opposite flag: ``ok = all(not c for x in xs)``)
        if c:
            found = True
            break

A loop ``for i in range(len(xs))`` that reads ``i`` only as ``xs[i]`` (``xs`` a list,
tuple or str by type, never changed) counts as ``for item in xs``: ``total += xs[i]``
becomes ``total = sum(xs)``.

Preconditions, proven from the code and the types (observed at run time, else
annotations):

1. the loop has no ``else``, its body is exactly the shape above, the accumulator is not
   read in the condition or the added term, and the loop variables are not read after the
   loop (the generator does not leak them);
2. every local the loop body reads is assigned before the start statement (in its block,
   or at the top of the function) or is the target of a ``for`` loop holding it: unbound, the loop would raise UnboundLocalError and
   the generator NameError; the pair is not inside a ``try`` (a handler could see a half-done accumulator), no
   nested function or lambda reads the accumulator (a closure called during the loop
   could watch it), and the function has no ``global``/``nonlocal``;
3. ``sum``: the start is an int literal and every added term is proven an int (int
   literals, ints by type, ``len``/``ord``/``int`` results, comparisons, int arithmetic
   without ``/`` or ``**``, items of never-changed int lists, and ``row[c]`` over
   ``for row in table`` with ``table`` a never-changed list of int lists whose rows
   nothing in the function could change or hand to a second name): int addition is exact and ``sum`` adds in the same order,
   whereas ``sum`` of floats is compensated (Python 3.12+) and ``+=`` of other types may
   call ``__iadd__``;
4. ``max``/``min``: the loop variable is a plain name whose items are int, str or bool
   (from ``range`` or a collection of that type never changed in the loop): comparisons
   are consistent and equal items are indistinguishable, so ties do not matter; strict
   comparisons and int or bool items only for a general start (an int start could tie a
   float item, and a str item raises a different TypeError). Float items (ints beside
   floats are observed as float) with a strict comparison and a ``None`` or ``xs[0]``
   start: ``max`` replaces its candidate exactly when ``item > candidate`` (``min``: ``<``),
   the loop's own step, so ties (``1`` and ``1.0``, ``0.0`` and ``-0.0``) and NaN go the
   same way; with ``>=`` the loop keeps the last of equal items and ``max`` the first;
5. ``any``/``all``: the condition has no ``await``/``yield``/walrus; it runs on the same
   items in the same order and stops at the same one. Without the ``break`` (the loop
   sets the flag and goes on to the end), the condition must be one that cannot raise or
   change anything on the items ``any`` skips: comparisons of the loop variable with
   numeric literals (``b < 0``, ``not 0 <= x < 10``), over items that are ``int``, ``float``
   or ``bool`` by type, from ``range`` or a ``list``/``tuple``/``set``/``frozenset``/
   ``deque`` (never an iterator, which the early stop would leave half consumed).

The built-ins used are not rebound in the module.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    FunctionFacts,
    element_type,
    function_facts,
    inner_items_unchanged,
    is_int_expr,
    qualified_functions,
    split_type,
)

_ORDERED = {"int", "str", "bool"}
_BUILTINS = {"sum", "max", "min", "any", "all", "range", "len", "ord", "int", "float"}
_GREATER = {cst.GreaterThan: "max", cst.GreaterThanEqual: "max", cst.LessThan: "min", cst.LessThanEqual: "min"}
_FLIP = {"max": "min", "min": "max"}


def rewrite(module: cst.Module, observed) -> cst.Module:
    if _BUILTINS & ct.module_bindings(module):
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        for block in _blocks(func.body):
            body = list(block.body)
            for i, (init, loop) in enumerate(zip(body, body[1:], strict=False)):
                new = _reduction(func, facts, init, loop, body[:i])
                if new is not None and id(init) not in mapping:
                    mapping[id(init)] = cst.FlattenSentinel(new) if isinstance(new, list) else new
                    mapping[id(loop)] = cst.RemovalSentinel.REMOVE
    return ct.replace_nodes(module, mapping) if mapping else module


def _blocks(node: cst.CSTNode, in_try: bool = False):
    """Statement blocks of a function body, outside nested scopes and ``try`` statements."""
    if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
        return
    if isinstance(node, cst.Try | cst.TryStar):
        in_try = True
    if isinstance(node, cst.IndentedBlock) and not in_try:
        yield node
    for child in node.children:
        yield from _blocks(child, in_try)


def _reduction(func, facts, init, loop, earlier):
    """The statement(s) replacing ``init`` and ``loop``, or None; ``earlier``: the
    statements before ``init`` in its block."""
    start = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])
    if not m.matches(init, start) or not isinstance(loop, cst.For) or loop.orelse or loop.asynchronous:
        return None
    if not isinstance(loop.body, cst.IndentedBlock) or len(loop.body.body) != 1:
        return None
    if ct.loop_variable_read_after(func, loop) or ct.collect(loop).impure:
        return None
    assign = init.body[0]
    acc = assign.targets[0].target.value
    if acc in ct.names_read(loop.iter) | ct.target_names(loop.target):
        return None  # the iterable would be evaluated before the start is assigned
    if not _bound_before(func, init, earlier) >= _locals_read(func, loop) - {acc}:
        return None  # unbound, the loop raises UnboundLocalError, the generator NameError
    nested = [n for n in ct.walk(func.body) if isinstance(n, cst.FunctionDef | cst.Lambda | cst.ClassDef)]
    if any(acc in ct.names_read(n) for n in nested):
        return None  # a closure called during the loop could watch the accumulator grow
    shape = _over_items(func, facts, loop)
    for build in (_as_sum, _as_extreme, _as_any_all):
        expr = build(func, facts, acc, assign.value, shape)
        if expr is not None:
            kept = [init] if isinstance(expr, tuple) else []
            value = expr[0] if isinstance(expr, tuple) else expr
            line = _line(init, loop, acc, value)
            return [*kept, line.with_changes(leading_lines=loop.leading_lines)] if kept else line
    return None


_SEQUENCES = frozenset({"list", "tuple", "str", "List", "Tuple"})


def _over_items(func, facts: FunctionFacts, loop: cst.For) -> cst.For:
    """``for i in range(len(xs))`` whose body reads ``i`` only as ``xs[i]``, over a list,
    tuple or str (by type) never changed in the function: the same loop written
    ``for item in xs`` (a fresh name), which visits the same items in the same order.
    Any other loop is returned as it is."""
    ranged = m.Call(func=m.Name("range"), args=[m.Arg(m.Call(func=m.Name("len"), args=[m.Arg(m.Name())]))])
    if not (isinstance(loop.target, cst.Name) and m.matches(loop.iter, ranged)):
        return loop
    index, seq = loop.target.value, loop.iter.args[0].value.args[0].value.value
    if index == seq or not facts.never_changed(seq) or split_type(facts.type_of(seq))[0] not in _SEQUENCES:
        return loop
    if index in ct.collect(loop.body).bound:
        return loop
    item = m.Subscript(value=m.Name(seq), slice=[m.SubscriptElement(m.Index(m.Name(index)))])
    reads = [n for n in ct.walk(loop.body) if m.matches(n, item)]
    if len(ct.name_refs(loop.body, index)) != len(reads):
        return loop  # ``i`` is read as itself somewhere (``i * 2``, ``xs[i + 1]``)
    name = cst.Name(ct.FreshNames(func)("item"))
    body = ct.replace_nodes(loop.body, {id(n): name for n in reads})
    return loop.with_changes(target=name, iter=cst.Name(seq), body=body)


def _locals_read(func, loop: cst.For) -> set[str]:
    """Locals of ``func`` the loop body reads (a generator reads them as free variables)."""
    params = {p.name.value for p in ct.walk(func.params) if isinstance(p, cst.Param)}
    local = ct.collect(func.body).bound - params
    return (ct.names_read(loop.body) - ct.collect(loop).bound) & local


def _bound_before(func, init, earlier) -> set[str]:
    """Names certainly bound when ``init`` runs: assigned by a simple statement before it
    in its block or, if that block is nested, before it at the top of the function, and
    the targets of the ``for`` loops whose body holds it (never deleted in the function)."""
    top = list(func.body.body)
    outer = top[:next((i for i, s in enumerate(top) if any(n is init for n in ct.walk(s))), 0)]
    names: set[str] = set()
    for stmt in [*outer, *earlier]:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    names |= {n for t in small.targets for n in ct.target_names(t.target)}
                elif isinstance(small, cst.AnnAssign | cst.AugAssign) and getattr(small, "value", None) is not None:
                    names |= ct.target_names(small.target)
    deleted = {n for d in ct.walk(func.body) if isinstance(d, cst.Del) for n in ct.target_names(d.target)}
    for loop in ct.walk(func.body):
        if isinstance(loop, cst.For) and any(n is init for n in ct.walk(loop.body)):
            names |= ct.target_names(loop.target) - deleted
    return names


def _line(init, loop, acc: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    assign = cst.Assign(targets=[cst.AssignTarget(cst.Name(acc))], value=value)
    return init.with_changes(body=[assign], leading_lines=[*init.leading_lines, *loop.leading_lines])


def _guarded(stmt) -> tuple[cst.BaseExpression | None, cst.BaseStatement]:
    """(condition, inner statement) of ``if c: <one statement>`` (no else), else (None, stmt)."""
    if isinstance(stmt, cst.If) and stmt.orelse is None and isinstance(stmt.body, cst.IndentedBlock):
        if len(stmt.body.body) == 1:
            return stmt.test, stmt.body.body[0]
    return None, stmt


def _gen(elt, loop, cond, sole: bool = True) -> cst.GeneratorExp:
    """``elt for <target> in <iter> [if cond]``; bare when it is a call's sole argument."""
    ifs = [cst.CompIf(test=cond)] if cond is not None else []
    gen = cst.GeneratorExp(elt=elt, for_in=cst.CompFor(target=loop.target, iter=loop.iter, ifs=ifs))
    return gen.with_changes(lpar=[], rpar=[]) if sole else gen


def _as_sum(func, facts, acc, start, loop):
    if not isinstance(start, cst.Integer):
        return None
    cond, stmt = _guarded(loop.body.body[0])
    if not m.matches(stmt, m.SimpleStatementLine(body=[m.AugAssign() | m.Assign()])):
        return None
    small = stmt.body[0]
    if isinstance(small, cst.AugAssign):
        if not (m.matches(small.target, m.Name(acc)) and isinstance(small.operator, cst.AddAssign)):
            return None
        term = small.value
    elif m.matches(small, m.Assign(targets=[m.AssignTarget(m.Name(acc))],
                                   value=m.BinaryOperation(left=m.Name(acc), operator=m.Add()))):
        term = small.value.right
    else:
        return None
    if acc in ct.names_read(term) | (ct.names_read(cond) if cond is not None else set()):
        return None
    if not is_int_expr(term, _int_names(facts, loop), _item_types(func, facts, loop)):
        return None
    plain = cond is None and isinstance(term, cst.Name) and m.matches(loop.target, m.Name(term.value))
    with_start = start.evaluated_value != 0
    args = [cst.Arg(loop.iter if plain else _gen(term, loop, cond, sole=not with_start))]
    if with_start:
        args.append(cst.Arg(start))
    return cst.Call(func=cst.Name("sum"), args=args)


def _int_names(facts: FunctionFacts, loop: cst.For) -> set[str]:
    """Names certainly bound to ints inside the loop: the loop variable over ``range`` or
    over an int collection never changed, and int parameters/locals never rebound."""
    names = {n for n, t in {**facts.local_types, **facts.observed}.items()
             if t in ("int", "bool") and n not in facts.rebound | facts.mutated}
    if isinstance(loop.target, cst.Name):
        if ct.is_call_to(loop.iter, "range") or _items_of(facts, loop) in ("int", "bool"):
            names.add(loop.target.value)
    return names


def _item_types(func, facts: FunctionFacts, loop: cst.For) -> dict[str, str]:
    """Types whose items the term may index (``xs[k]``, ``row[c]``): never-changed names
    whose items are numbers (immutable), and the loop variable over a never-changed name
    (``for row in table``) when nothing in the function can change what its items hold
    (:func:`inner_items_unchanged`)."""
    out = {n: t for n, t in {**facts.local_types, **facts.observed}.items()
           if facts.never_changed(n) and element_type(t) in ("int", "bool")}
    if isinstance(loop.target, cst.Name) and isinstance(loop.iter, cst.Name) and facts.never_changed(loop.iter.value):
        rows = element_type(facts.type_of(loop.iter.value))
        if rows is not None and inner_items_unchanged(func, loop.iter.value, loop):
            out[loop.target.value] = rows
    return out


def _items_of(facts: FunctionFacts, loop: cst.For) -> str | None:
    if isinstance(loop.iter, cst.Name) and facts.never_changed(loop.iter.value):
        return element_type(facts.type_of(loop.iter.value))
    return None


def _as_extreme(func, facts, acc, start, loop):
    cond, stmt = _guarded(loop.body.body[0])
    var = loop.target.value if isinstance(loop.target, cst.Name) else None
    items = _items_of_loop(facts, loop)
    if var is None or cond is None or items not in _ORDERED | {"float"}:
        return None
    if not m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name(acc))],
                                                                 value=m.Name(var))])):
        return None
    none_start = m.matches(start, m.Name("None"))
    if none_start:
        guard = m.BooleanOperation(left=m.Comparison(left=m.Name(acc), comparisons=[
            m.ComparisonTarget(m.Is(), m.Name("None"))]), operator=m.Or())
        if not m.matches(cond, guard):
            return None
        cond = cond.right
    kind = _extreme_kind(cond, acc, var)
    if kind is None:
        return None
    name, strict = kind
    if items == "float" and not strict:
        return None  # equal floats can differ (1 and 1.0, 0.0 and -0.0): >= keeps the last, max the first
    if none_start:
        return _call(name, [cst.Arg(loop.iter), _keyword("default", cst.Name("None"))])
    if _is_first_item(start, loop.iter):  # the whole list: not empty, its first item was read
        return (_call(name, [cst.Arg(start.value)]),)
    # a general start is compared with items: only ints and bools compare with it as the
    # loop did (a str item raises TypeError with another message in max)
    if not strict or not _comparable_start(start) or _items_of_loop(facts, loop) not in ("int", "bool"):
        return None
    inner = _call(name, [cst.Arg(loop.iter), _keyword("default", cst.Name(acc))])
    return (_call(name, [cst.Arg(cst.Name(acc)), cst.Arg(inner)]),)


def _items_of_loop(facts, loop) -> str | None:
    if ct.is_call_to(loop.iter, "range"):
        return "int"
    if m.matches(loop.iter, m.Subscript(value=m.Name(), slice=[m.SubscriptElement(m.Slice())])):
        name = loop.iter.value.value
        return element_type(facts.type_of(name)) if facts.never_changed(name) else None
    return _items_of(facts, loop)


def _comparable_start(start) -> bool:
    """An int literal, its negation, or ``float("inf")``/``-float("inf")``: it compares with
    any int, so ``max(start, ...)`` raises nowhere the loop did not."""
    if isinstance(start, cst.UnaryOperation) and isinstance(start.operator, cst.Minus):
        start = start.expression
    if isinstance(start, cst.Integer):
        return True
    return m.matches(start, m.Call(func=m.Name("float"), args=[m.Arg(m.SimpleString())])) and (
        start.args[0].value.evaluated_value.lstrip("+-") in ("inf", "infinity"))


def _extreme_kind(cond, acc: str, var: str) -> tuple[str, bool] | None:
    """("max" or "min", strict) for ``var > acc`` and its mirrored forms."""
    if not isinstance(cond, cst.Comparison) or len(cond.comparisons) != 1:
        return None
    op = cond.comparisons[0].operator
    name = _GREATER.get(type(op))
    if name is None:
        return None
    strict = isinstance(op, cst.GreaterThan | cst.LessThan)
    left, right = cond.left, cond.comparisons[0].comparator
    if m.matches(left, m.Name(var)) and m.matches(right, m.Name(acc)):
        return name, strict
    if m.matches(left, m.Name(acc)) and m.matches(right, m.Name(var)):
        return _FLIP[name], strict
    return None


def _is_first_item(start, iterable) -> bool:
    """``start`` is ``xs[0]`` and the loop runs over ``xs`` or ``xs[1:]``."""
    if not m.matches(start, m.Subscript(value=m.Name(), slice=[m.SubscriptElement(m.Index(m.Integer("0")))])):
        return False
    name = start.value.value
    return m.matches(iterable, m.Name(name)) or m.matches(iterable, m.Subscript(
        value=m.Name(name), slice=[m.SubscriptElement(m.Slice(lower=m.Integer("1"), upper=None, step=None))]))


def _as_any_all(func, facts, acc, start, loop):
    if not m.matches(start, m.Name("True") | m.Name("False")):
        return None
    flag = "False" if start.value == "True" else "True"
    setter = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name(acc))], value=m.Name(flag))])
    body = m.IndentedBlock(body=[m.If(orelse=None, body=m.IndentedBlock(
        body=[setter, m.SimpleStatementLine(body=[m.Break()])]))])
    no_break = m.IndentedBlock(body=[m.If(orelse=None, body=m.IndentedBlock(body=[setter]))])
    if m.matches(loop.body, no_break):
        if not _harmless_on_every_item(facts, loop, loop.body.body[0].test):
            return None
    elif not m.matches(loop.body, body):
        return None
    cond = loop.body.body[0].test
    if acc in ct.names_read(cond):
        return None
    if start.value == "False":
        return _call("any", [cst.Arg(_gen(cond, loop, None))])
    negated = cst.UnaryOperation(operator=cst.Not(), expression=_parenthesized(cond))
    return _call("all", [cst.Arg(_gen(negated, loop, None))])


_NUMERIC_ITEMS = {"int", "float", "bool"}
_REITERABLE = {"list", "tuple", "set", "frozenset", "deque", "List", "Tuple", "Set", "FrozenSet", "Deque"}
_ORDER_OPS = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual, cst.Equal, cst.NotEqual)


def _harmless_on_every_item(facts, loop: cst.For, cond) -> bool:
    """``cond`` compares the loop variable with numeric literals only, and the loop runs
    over numbers in a collection that is not consumed: evaluating ``cond`` on the items
    after the first hit (as the loop without ``break`` does) raises and changes nothing."""
    if isinstance(cond, cst.UnaryOperation) and isinstance(cond.operator, cst.Not):
        cond = cond.expression
    if not isinstance(loop.target, cst.Name) or not isinstance(cond, cst.Comparison):
        return False
    if _items_of_loop(facts, loop) not in _NUMERIC_ITEMS:
        return False
    if isinstance(loop.iter, cst.Name) and split_type(facts.type_of(loop.iter.value))[0] not in _REITERABLE:
        return False
    operands = [cond.left, *(c.comparator for c in cond.comparisons)]
    return all(isinstance(c.operator, _ORDER_OPS) for c in cond.comparisons) and all(
        m.matches(e, m.Name(loop.target.value)) or _numeric_literal(e) for e in operands)


def _numeric_literal(expr) -> bool:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        expr = expr.expression
    return isinstance(expr, cst.Integer | cst.Float)


def _parenthesized(expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, cst.Name | cst.Call | cst.Attribute | cst.Subscript) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _call(name: str, args: list[cst.Arg]) -> cst.Call:
    return cst.Call(func=cst.Name(name), args=args)


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
