"""Rewrite a local bytes accumulator grown with ``+=`` into a list of parts and one join.

Rewrites::

    out = b""
    for ...:
        ... out += piece ...

into ``_out_parts = []`` / ``_out_parts.append(piece)`` / ``out = b"".join(_out_parts)``
when all of these are proven from the function's code:

1. ``out = b""`` is a statement of the function body immediately followed (same block,
   function top level, not inside ``try``) by a ``for`` loop without ``else``;
2. inside the loop, every use of ``out`` is the target of ``out += piece``: the loop
   never reads the partial buffer, so no one can observe the difference;
3. each ``piece`` is provably bytes: a bytes literal, ``bytes(...)``, or
   ``struct.pack(...)`` with ``struct`` the standard module (``import struct``, never
   rebound), so ``+=`` could not have raised where ``join`` will not;
4. the function declares no ``global``/``nonlocal`` and the new name is unused.

Plain local ``str`` accumulators are left alone on purpose: CPython resizes them in place,
so the rewrite would not be faster there.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct


def rewrite(module: cst.Module) -> cst.Module:
    facts = _ModuleFacts(module)
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        body = ct.body_statements(func)
        for init, loop in zip(body, body[1:], strict=False):
            mapping.update(_rewrite_pair(init, loop, facts))
    return ct.replace_nodes(module, mapping) if mapping else module


class _ModuleFacts:
    def __init__(self, module: cst.Module) -> None:
        self.bound = ct.module_bindings(module)
        self.struct_ok = (
            ct.imported_modules(module).get("struct") == "struct" and ct.binding_count(module, "struct") == 1
        )


def _accumulator(init: cst.BaseStatement) -> str | None:
    pattern = m.SimpleStatementLine(
        body=[m.Assign(targets=[m.AssignTarget(target=m.Name())], value=m.SimpleString())]
    )
    if not m.matches(init, pattern):
        return None
    assign = init.body[0]
    if assign.value.value.lower() not in ('b""', "b''"):
        return None
    return assign.targets[0].target.value


def _rewrite_pair(init, loop, facts: _ModuleFacts) -> dict[int, object]:
    name = _accumulator(init)
    if name is None or not isinstance(loop, cst.For) or loop.orelse is not None:
        return {}
    parts = f"_{name}_parts"
    if parts in facts.bound:
        return {}
    appends = _appends(loop, name, facts)
    if not appends:
        return {}
    mapping: dict[int, object] = {
        id(init): cst.parse_statement(f"{parts} = []\n"),
        id(loop): lambda new_loop: cst.FlattenSentinel([new_loop, cst.parse_statement(f'{name} = b"".join({parts})\n')]),
    }
    for aug in appends:
        call = cst.parse_expression(f"{parts}.append(x)").with_changes(args=[cst.Arg(aug.value)])
        mapping[id(aug)] = cst.Expr(call)
    return mapping


def _appends(loop: cst.For, name: str, facts: _ModuleFacts) -> list[cst.AugAssign]:
    augs = [
        n
        for n in ct.walk(loop.body)
        if isinstance(n, cst.AugAssign) and isinstance(n.operator, cst.AddAssign) and m.matches(n.target, m.Name(name))
    ]
    targets = {id(a.target) for a in augs}
    if not augs or ct.name_refs(loop.iter, name) or ct.name_refs(loop.target, name):
        return []
    if any(id(ref) not in targets for ref in ct.name_refs(loop.body, name)):
        return []
    return augs if all(_is_bytes(a.value, facts) for a in augs) else []


def _is_bytes(expr: cst.BaseExpression, facts: _ModuleFacts) -> bool:
    if isinstance(expr, cst.SimpleString):
        return expr.prefix.lower() in ("b", "br", "rb")
    if ct.is_call_to(expr, "bytes"):
        return "bytes" not in facts.bound
    return facts.struct_ok and isinstance(expr, cst.Call) and m.matches(
        expr.func, m.Attribute(value=m.Name("struct"), attr=m.Name("pack"))
    )
