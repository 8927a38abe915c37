"""Rewrite a dict counting loop into ``dict(Counter(items))``.

Rewrites::

    counts = {}
    for x in items:
        if x in counts:              # or: counts[x] = counts.get(x, 0) + 1
            counts[x] += 1
        else:
            counts[x] = 1

into ``counts = dict(Counter(items))`` when all of these are proven:

1. the two statements are adjacent in a function body (not inside ``try``), the loop has
   no ``else``, and its target is a single name;
2. the loop body is exactly one of the two counting forms above, keyed by the loop
   variable itself: so the loop does nothing but count, in the same first-seen order
   and with the same hashing and equality as ``Counter`` (a dict subclass);
3. ``counts`` does not appear in ``items``, and the loop variable is used nowhere in the
   function outside the loop;
4. ``Counter`` is unbound in the module or bound only by ``from collections import
   Counter``; the rule adds that import when missing. ``dict`` is not rebound.

The result is wrapped in ``dict(...)`` so that later ``counts[missing]`` still raises
KeyError and the type stays ``dict``.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct

_IMPORT = "from collections import Counter"


def rewrite(module: cst.Module) -> cst.Module:
    has_import = any(cst.Module([]).code_for_node(s).strip() == _IMPORT for s in module.body)
    if "dict" in ct.module_bindings(module) or ct.binding_count(module, "Counter") > (1 if has_import else 0):
        return module
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        body = ct.body_statements(func)
        for init, loop in zip(body, body[1:], strict=False):
            name = _counting_pair(func, init, loop)
            if name is not None:
                new = cst.parse_statement(f"{name} = dict(Counter(x))\n")
                call = new.body[0].value.args[0].value
                new = new.deep_replace(call.args[0].value, loop.iter)
                mapping[id(init)] = new.with_changes(leading_lines=init.leading_lines)
                mapping[id(loop)] = cst.RemovalSentinel.REMOVE
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), _IMPORT)


def _counting_pair(func, init, loop) -> str | None:
    empty = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Dict(elements=[]))])
    if not m.matches(init, empty) or not isinstance(loop, cst.For) or loop.orelse or loop.asynchronous:
        return None
    if not isinstance(loop.target, cst.Name) or len(loop.body.body) != 1:
        return None
    name, key = init.body[0].targets[0].target.value, loop.target.value
    if not (_if_else_form(loop.body.body[0], name, key) or _get_form(loop.body.body[0], name, key)):
        return None
    if ct.name_refs(loop.iter, name):
        return None
    inside = {id(n) for n in ct.walk(loop)}
    return name if all(id(ref) in inside for ref in ct.name_refs(func, key)) else None


def _item(name: str, key: str):
    return m.Subscript(value=m.Name(name), slice=[m.SubscriptElement(slice=m.Index(value=m.Name(key)))])


def _one(statement) -> m.IndentedBlock:
    return m.IndentedBlock(body=[m.SimpleStatementLine(body=[statement])])


def _if_else_form(stmt: cst.BaseStatement, name: str, key: str) -> bool:
    test = m.Comparison(left=m.Name(key), comparisons=[m.ComparisonTarget(operator=m.In(), comparator=m.Name(name))])
    increment = m.AugAssign(target=_item(name, key), operator=m.AddAssign(), value=m.Integer("1"))
    first = m.Assign(targets=[m.AssignTarget(_item(name, key))], value=m.Integer("1"))
    return m.matches(stmt, m.If(test=test, body=_one(increment), orelse=m.Else(body=_one(first))))


def _get_form(stmt: cst.BaseStatement, name: str, key: str) -> bool:
    get = m.Call(
        func=m.Attribute(value=m.Name(name), attr=m.Name("get")),
        args=[m.Arg(value=m.Name(key), keyword=None), m.Arg(value=m.Integer("0"), keyword=None)],
    )
    value = m.BinaryOperation(left=get, operator=m.Add(), right=m.Integer("1"))
    return m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(_item(name, key))], value=value)]))
