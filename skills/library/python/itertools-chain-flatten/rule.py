"""Rewrite nested flattening loops into ``list(itertools.chain.from_iterable(rows))``.

Rewrites::

    out = []
    for row in rows:                 for row in rows:
        for x in row:          or        out.extend(row)
            out.append(x)

into ``out = list(itertools.chain.from_iterable(rows))`` when all of these are proven:

1. the two statements are adjacent in a function body, the loops have no ``else`` and
   the targets are plain names;
2. the innermost body is exactly ``out.append(x)`` with ``x`` the inner loop variable
   (or ``out.extend(row)`` with ``row`` the outer one): elements are copied unchanged, in
   loop order; ``out`` is a fresh list, so these are the list methods;
3. ``out`` does not appear in ``rows``, and the loop variables are used nowhere in the
   function outside the loops;
4. ``itertools`` is bound only by a top-level ``import itertools`` (added when missing
   and unbound) and ``list`` is not rebound in the module.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct


def rewrite(module: cst.Module) -> cst.Module:
    imported = ct.imported_modules(module).get("itertools") == "itertools"
    if ct.binding_count(module, "itertools") != (1 if imported else 0) or "list" in ct.module_bindings(module):
        return module
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        body = ct.body_statements(func)
        for init, loop in zip(body, body[1:], strict=False):
            name = _flatten_pair(func, init, loop)
            if name is not None:
                new = cst.parse_statement(f"{name} = list(itertools.chain.from_iterable(x))\n")
                placeholder = new.body[0].value.args[0].value.args[0].value
                mapping[id(init)] = new.deep_replace(placeholder, loop.iter).with_changes(leading_lines=init.leading_lines)
                mapping[id(loop)] = cst.RemovalSentinel.REMOVE
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), "import itertools")


def _call_stmt(method: str, name: str, arg: str) -> m.SimpleStatementLine:
    call = m.Call(func=m.Attribute(value=m.Name(name), attr=m.Name(method)), args=[m.Arg(value=m.Name(arg), keyword=None, star="")])
    return m.SimpleStatementLine(body=[m.Expr(call)])


def _plain_loop(node) -> bool:
    return isinstance(node, cst.For) and not node.orelse and not node.asynchronous and isinstance(node.target, cst.Name)


def _flatten_pair(func, init, loop) -> str | None:
    empty = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.List(elements=[]))])
    if not m.matches(init, empty) or not _plain_loop(loop) or len(loop.body.body) != 1:
        return None
    name, row = init.body[0].targets[0].target.value, loop.target.value
    inner = loop.body.body[0]
    if m.matches(inner, _call_stmt("extend", name, row)):
        loop_vars = {row}
    elif _plain_loop(inner) and m.matches(inner.iter, m.Name(row)) and len(inner.body.body) == 1:
        if not m.matches(inner.body.body[0], _call_stmt("append", name, inner.target.value)):
            return None
        loop_vars = {row, inner.target.value}
    else:
        return None
    if ct.name_refs(loop.iter, name):
        return None
    inside = {id(n) for n in ct.walk(loop)}
    return name if all(id(r) in inside for v in loop_vars for r in ct.name_refs(func, v)) else None
