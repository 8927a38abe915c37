"""Group into dict buckets with one ``setdefault`` instead of test-then-insert lookups.

Rewrites, for a dict ``d`` and a bucket of ``[]``/``list()`` (``append``/``extend``) or
``set()`` (``add``/``update``)::

    if k not in d:                          ->  d.setdefault(k, []).append(v)
        d[k] = []
    d[k].append(v)

    if k in d:                              ->  d.setdefault(k, []).append(v)
        d[k].append(v)                          (also ``if k not in d: d[k] = [v]
    else:                                        else: d[k].append(v)``)
        d[k] = [v]

    d[k] = d.get(k, []) + [v]               ->  d.setdefault(k, []).append(v)

The result stays a plain ``dict`` (no ``defaultdict`` escapes to the caller). Preconditions,
proven from the code and the types (observed at run time, else annotations, else the
literal a local is built from):

1. ``d`` is a name whose type is ``dict`` (not a subclass that could override
   ``__contains__``/``__setitem__``: observed type names say exactly ``dict``), not
   ``global``/``nonlocal``;
2. the key ``k`` is evaluated once instead of two or three times, so it must be free of
   effects: a name, a literal, a tuple of those, or an item of a str, bytes, list, tuple
   or dict (known by type) indexed by a name or a literal;
3. for the ``get(...) + [v]`` form, which gave each bucket a fresh list: ``d`` is a local
   bound once, to ``{}`` or ``dict()``, and read nowhere but in this statement until
   the end of the function-body statement holding it, so no one can hold an old bucket
   that would now see later items;
4. ``v`` is evaluated once in both versions, after the key, as before; in the ``if/else``
   and ``get(...) + [v]`` forms, where the original inserted the key only after ``v``
   was computed, ``v`` is a name, a literal or a tuple of those, so it cannot fail after
   ``setdefault`` has inserted the empty bucket.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    FunctionFacts,
    element_type,
    function_facts,
    qualified_functions,
    split_type,
)

_EMPTY = {"list": m.List(elements=[]) | m.Call(func=m.Name("list"), args=[]),
          "set": m.Call(func=m.Name("set"), args=[])}
_ADDERS = {"list": ("append", "extend"), "set": ("add", "update")}
_INDEXABLE = {"str", "bytes", "list", "tuple", "dict"}


def rewrite(module: cst.Module, observed) -> cst.Module:
    if {"list", "set", "dict"} & ct.module_bindings(module):
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        keys = _KeyFacts(func, facts)
        for block in _blocks(func.body):
            body = list(block.body)
            for i, stmt in enumerate(body):
                if id(stmt) in mapping:
                    continue
                found = _test_then_insert(stmt, body[i + 1] if i + 1 < len(body) else None, keys)
                if found is None:
                    found = _if_else(stmt, keys) or _get_plus(func, stmt, keys)
                if found is not None:
                    new, removed = found
                    mapping[id(stmt)] = new
                    for other in removed:
                        mapping[id(other)] = cst.RemovalSentinel.REMOVE
    return ct.replace_nodes(module, mapping) if mapping else module


def _blocks(node: cst.CSTNode):
    if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
        return
    if isinstance(node, cst.IndentedBlock):
        yield node
    for child in node.children:
        yield from _blocks(child)


class _KeyFacts:
    """Which dicts and keys of one function the rule may rely on."""

    def __init__(self, func: cst.FunctionDef, facts: FunctionFacts) -> None:
        self.func, self.facts = func, facts
        self.parents = ct.parent_map(func)

    def is_dict(self, expr) -> bool:
        if not isinstance(expr, cst.Name) or expr.value in self.facts.global_names | self.facts.rebound:
            return False
        return split_type(self.facts.type_of(expr.value))[0] == "dict"

    def pure_key(self, key, at: cst.CSTNode) -> bool:
        """``key`` has no effects when evaluated at ``at`` (see the module docstring)."""
        if isinstance(key, cst.Name | cst.Integer | cst.SimpleString):
            return True
        if isinstance(key, cst.Tuple):
            return all(isinstance(e, cst.Element) and self.pure_key(e.value, at) for e in key.elements)
        if not (isinstance(key, cst.Subscript) and isinstance(key.value, cst.Name) and len(key.slice) == 1):
            return False
        index = key.slice[0].slice
        if not isinstance(index, cst.Index) or not isinstance(index.value, cst.Name | cst.Integer | cst.SimpleString):
            return False
        return split_type(self._type_at(key.value.value, at))[0] in _INDEXABLE

    def _type_at(self, name: str, at: cst.CSTNode) -> str | None:
        """The type of ``name`` at ``at``: the items of the nearest enclosing ``for`` over a
        collection never changed that binds it (and nothing else in its body rebinds it),
        else the name's own type when it is never rebound."""
        node = self.parents.get(id(at))
        while node is not None and node is not self.func:
            if isinstance(node, cst.For) and name in ct.target_names(node.target):
                if not m.matches(node.target, m.Name(name)) or not isinstance(node.iter, cst.Name):
                    return None
                if name in ct.collect(node.body).bound or not self.facts.never_changed(node.iter.value):
                    return None
                return element_type(self.facts.type_of(node.iter.value))
            node = self.parents.get(id(node))
        return None if name in self.facts.rebound else self.facts.type_of(name)


def _same(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return a.deep_equals(b)


def _bucket(d, k) -> m.Subscript:
    return m.Subscript(value=m.Name(d), slice=[m.SubscriptElement(m.Index(m.MatchIfTrue(lambda v: _same(v, k))))])


def _grouping_call(d: cst.Name, k, kind: str, method: str, args) -> cst.SimpleStatementLine:
    """``d.setdefault(k, []).method(v)`` (``set()`` for set buckets) as a statement."""
    empty = cst.List(elements=[]) if kind == "list" else cst.Call(func=cst.Name("set"))
    setdefault = cst.Call(func=cst.Attribute(value=cst.Name(d.value), attr=cst.Name("setdefault")),
                          args=[cst.Arg(k, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(empty)])
    call = cst.Call(func=cst.Attribute(value=setdefault, attr=cst.Name(method)), args=[cst.Arg(args[0].value)])
    return cst.SimpleStatementLine(body=[cst.Expr(call)])


def _adder(stmt, d: str, k, kind: str):
    """``d[k].append(v)`` (or extend/add/update) as a statement: (method, args) or None."""
    pattern = m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Attribute(value=_bucket(d, k))))])
    if not m.matches(stmt, pattern):
        return None
    call = stmt.body[0].value
    method = call.func.attr.value
    if method not in _ADDERS[kind] or len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
        return None
    return method, call.args


def _membership(test, want_in: bool):
    """(k, d) of ``k in d`` / ``k not in d``."""
    op = m.In() if want_in else m.NotIn()
    if m.matches(test, m.Comparison(comparisons=[m.ComparisonTarget(operator=op, comparator=m.Name())])):
        return test.left, test.comparisons[0].comparator
    return None


def _test_then_insert(stmt, following, keys: _KeyFacts):
    """``if k not in d: d[k] = []`` then ``d[k].append(v)``."""
    if following is None or not isinstance(stmt, cst.If) or stmt.orelse is not None:
        return None
    found = _membership(stmt.test, want_in=False)
    if found is None or not isinstance(stmt.body, cst.IndentedBlock) or len(stmt.body.body) != 1:
        return None
    k, d = found
    if not keys.is_dict(d) or not keys.pure_key(k, stmt):
        return None
    for kind, empty in _EMPTY.items():
        store = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(_bucket(d.value, k))], value=empty)])
        if m.matches(stmt.body.body[0], store):
            adder = _adder(following, d.value, k, kind)
            if adder is not None:
                line = _grouping_call(d, k, kind, *adder)
                return line.with_changes(leading_lines=stmt.leading_lines), [following]
    return None


def _if_else(stmt, keys: _KeyFacts):
    """``if k in d: d[k].append(v) else: d[k] = [v]`` and its ``not in`` mirror."""
    if not isinstance(stmt, cst.If) or not isinstance(stmt.orelse, cst.Else):
        return None
    branches = [stmt.body, stmt.orelse.body]
    for want_in, (hit, miss) in ((True, branches), (False, branches[::-1])):
        found = _membership(stmt.test, want_in)
        if found is None or not all(isinstance(b, cst.IndentedBlock) and len(b.body) == 1 for b in (hit, miss)):
            continue
        k, d = found
        if not keys.is_dict(d) or not keys.pure_key(k, stmt):
            return None
        adder = _adder(hit.body[0], d.value, k, "list")
        if adder is None or adder[0] != "append" or not _cannot_raise(adder[1][0].value):
            return None
        item = adder[1][0].value
        single = m.List(elements=[m.Element(m.MatchIfTrue(lambda v, item=item: _same(v, item)))])
        store = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(_bucket(d.value, k))], value=single)])
        if m.matches(miss.body[0], store):
            return _grouping_call(d, k, "list", *adder).with_changes(leading_lines=stmt.leading_lines), []
    return None


def _get_plus(func, stmt, keys: _KeyFacts):
    """``d[k] = d.get(k, []) + [v]``, when no one can hold an old bucket."""
    pattern = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Subscript(value=m.Name()))],
                                                   value=m.BinaryOperation(operator=m.Add(), right=m.List()))])
    if not m.matches(stmt, pattern):
        return None
    assign = stmt.body[0]
    target = assign.targets[0].target
    d, k = target.value, _index_of(target)
    getter = m.Call(func=m.Attribute(value=m.Name(d.value), attr=m.Name("get")),
                    args=[m.Arg(m.MatchIfTrue(lambda v: k is not None and _same(v, k))), m.Arg(m.List(elements=[]))])
    items = assign.value.right.elements
    if k is None or not m.matches(assign.value.left, getter) or len(items) != 1 or not isinstance(items[0], cst.Element):
        return None
    if not keys.is_dict(d) or not keys.pure_key(k, stmt) or not _private_buckets(func, stmt, d.value):
        return None
    value = items[0].value
    if not _cannot_raise(value):
        return None
    return _grouping_call(d, k, "list", "append", [cst.Arg(value)]).with_changes(leading_lines=stmt.leading_lines), []


def _cannot_raise(value) -> bool:
    """A name, literal or tuple of those: evaluating it cannot fail, so the empty bucket
    that ``setdefault`` inserts first is never left behind by a failing item."""
    if isinstance(value, cst.Name | cst.Integer | cst.SimpleString | cst.Float):
        return True
    return isinstance(value, cst.Tuple) and all(isinstance(e, cst.Element) and _cannot_raise(e.value)
                                                for e in value.elements)


def _index_of(target: cst.Subscript):
    if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return target.slice[0].slice.value
    return None


def _private_buckets(func: cst.FunctionDef, stmt, d: str) -> bool:
    """``d`` is bound once to ``{}``/``dict()`` and read only in ``stmt`` until the
    function-body statement holding ``stmt`` ends."""
    assign = ct.local_list_assign(func, d)
    empty = m.Dict(elements=[]) | m.Call(func=m.Name("dict"), args=[])
    if assign is None or not m.matches(assign.value, empty):
        return False
    holder = next((s for s in ct.body_statements(func) if any(n is stmt for n in ct.walk(s))), None)
    if holder is None:
        return False
    body = ct.body_statements(func)
    seen_ok = {id(n) for n in ct.walk(stmt)} | {id(assign.targets[0].target)}
    until = {id(n) for s in body[: body.index(holder) + 1] for n in ct.walk(s)}
    return all(id(ref) in seen_ok for ref in ct.name_refs(func.body, d) if id(ref) in until)
