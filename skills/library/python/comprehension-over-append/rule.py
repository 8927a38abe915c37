"""Rewrite ``out = []`` + a loop that only appends into a list comprehension.

Rewrites::

    out = []
    for x in items:            # optionally a second nested ``for``
        if cond:               # optional, without ``else``/``elif``
            out.append(expr)

into ``out = [expr for x in items if cond]`` when all of these are proven:

1. both statements sit directly in a function body, adjacent, and the loop has no
   ``else``;
2. the innermost body is exactly one ``out.append(expr)`` call with one positional
   argument, and ``out`` (a fresh list, so ``append`` is ``list.append``) appears nowhere
   else in the loop: the partial list is never observed;
3. the loop variables are used nowhere in the function outside the loop (a comprehension
   does not leak them);
4. no ``yield``, ``await``, ``lambda``, walrus, nested def, ``global``/``nonlocal``, and no
   ``locals``/``vars``/``eval``/``exec`` in the function, since those see scopes.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct

_SCOPE_PEEKERS = {"locals", "vars", "eval", "exec"}


def rewrite(module: cst.Module) -> cst.Module:
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        facts = ct.collect(func.body)
        if facts.impure or facts.read & _SCOPE_PEEKERS:
            continue
        body = ct.body_statements(func)
        for init, loop in zip(body, body[1:], strict=False):
            comp = _comprehension(func, init, loop)
            if comp is not None:
                target = init.body[0].targets[0]
                mapping[id(init)] = init.with_changes(body=[cst.Assign(targets=[target], value=comp)])
                mapping[id(loop)] = cst.RemovalSentinel.REMOVE
    return ct.replace_nodes(module, mapping) if mapping else module


def _empty_list_name(init: cst.BaseStatement) -> str | None:
    pattern = m.SimpleStatementLine(
        body=[m.Assign(targets=[m.AssignTarget(target=m.Name())], value=m.List(elements=[]))]
    )
    return init.body[0].targets[0].target.value if m.matches(init, pattern) else None


def _single(block: cst.BaseSuite) -> cst.BaseStatement | None:
    if isinstance(block, cst.IndentedBlock) and len(block.body) == 1:
        return block.body[0]
    return None


def _unwrap(loop: cst.For) -> tuple[list[cst.For], cst.BaseExpression | None, cst.BaseStatement | None]:
    """The loops (outer first), the optional filter and the innermost statement."""
    loops, stmt = [loop], _single(loop.body)
    if isinstance(stmt, cst.For) and stmt.orelse is None and stmt.asynchronous is None:
        loops.append(stmt)
        stmt = _single(stmt.body)
    cond = None
    if isinstance(stmt, cst.If) and stmt.orelse is None:
        cond, stmt = stmt.test, _single(stmt.body)
    return loops, cond, stmt


def _append_arg(stmt: cst.BaseStatement | None, name: str) -> cst.BaseExpression | None:
    pattern = m.SimpleStatementLine(
        body=[m.Expr(m.Call(func=m.Attribute(value=m.Name(name), attr=m.Name("append")), args=[m.Arg(keyword=None, star="")]))]
    )
    return stmt.body[0].value.args[0].value if m.matches(stmt, pattern) else None


def _comprehension(func, init, loop) -> cst.ListComp | None:
    name = _empty_list_name(init)
    if name is None or not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
        return None
    loops, cond, stmt = _unwrap(loop)
    elt = _append_arg(stmt, name)
    if elt is None or len(ct.name_refs(loop, name)) != 1:
        return None
    loop_vars = set().union(*(ct.target_names(lp.target) for lp in loops))
    if not _only_inside(func, loop, loop_vars) or not all(isinstance(lp.target, cst.Name | cst.Tuple) for lp in loops):
        return None
    for_in = None
    for i, lp in enumerate(reversed(loops)):
        ifs = [cst.CompIf(test=cond)] if (i == 0 and cond is not None) else []
        for_in = cst.CompFor(target=lp.target, iter=lp.iter, ifs=ifs, inner_for_in=for_in)
    return cst.ListComp(elt=elt, for_in=for_in)


def _only_inside(func: cst.FunctionDef, loop: cst.For, names: set[str]) -> bool:
    inside = {id(n) for n in ct.walk(loop)}
    return all(id(ref) in inside for name in names for ref in ct.name_refs(func, name))
