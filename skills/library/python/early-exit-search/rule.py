"""Add ``break`` to a flag-setting search loop once the flag is set.

Rewrites::

    flag = False                 # or True
    for x in items:
        if cond:
            flag = True          # the opposite constant
    ...

by adding ``break`` after ``flag = True``, when all of these are proven:

1. the two statements are adjacent in a function body and the loop has no ``else``;
2. the loop body is exactly that ``if`` (no ``elif``/``else``) whose body is exactly that
   assignment, so once the flag is set, later iterations can only set it to the same
   value: nothing observable is left to do;
3. ``cond`` calls nothing and has no walrus, ``await`` or ``yield`` (no side effects are
   skipped);
4. the iterable is certainly a finite, re-iterable collection whose remaining items
   nobody else will read: ``range(...)`` (``range`` not rebound in the module), a local
   bound once to a list, tuple or set display or comprehension, or a parameter annotated
   ``list``, ``tuple``, ``set``, ``frozenset``, ``dict``, ``str``, ``bytes`` or
   ``Sequence`` (annotations are trusted);
5. the loop variables are used nowhere in the function outside the loop (after ``break``
   they would hold the match instead of the last element).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct

_COLLECTION_ANNOTATIONS = {"list", "tuple", "set", "frozenset", "dict", "str", "bytes", "Sequence"}
_BOOL = m.Name("True") | m.Name("False")


def rewrite(module: cst.Module) -> cst.Module:
    if "range" in ct.module_bindings(module):
        return module
    mapping: dict[int, cst.CSTNode] = {}
    for func in ct.functions(module):
        body = ct.body_statements(func)
        for init, loop in zip(body, body[1:], strict=False):
            stmt = _flag_assignment(init, loop)
            if stmt is not None and _provable(func, loop):
                with_break = cst.SimpleStatementLine(body=[cst.Break()])
                block = loop.body.body[0].body
                mapping[id(block)] = block.with_changes(body=[*block.body, with_break])
    return ct.replace_nodes(module, mapping) if mapping else module


def _flag_assignment(init, loop) -> cst.SimpleStatementLine | None:
    start = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=_BOOL)])
    if not m.matches(init, start) or not isinstance(loop, cst.For) or loop.orelse or loop.asynchronous:
        return None
    name = init.body[0].targets[0].target.value
    initial = init.body[0].value.value
    opposite = "False" if initial == "True" else "True"
    setter = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name(name))], value=m.Name(opposite))])
    inner = m.IndentedBlock(body=[m.If(orelse=None, body=m.IndentedBlock(body=[setter]))])
    return init if m.matches(loop.body, inner) else None


def _provable(func: cst.FunctionDef, loop: cst.For) -> bool:
    facts = ct.collect(loop.body.body[0].test)
    if facts.calls or facts.impure:
        return False
    inside = {id(n) for n in ct.walk(loop)}
    loop_vars = ct.target_names(loop.target)
    if any(id(ref) not in inside for name in loop_vars for ref in ct.name_refs(func, name)):
        return False
    return _reiterable(func, loop.iter)


def _reiterable(func: cst.FunctionDef, iterable: cst.BaseExpression) -> bool:
    if ct.is_call_to(iterable, "range"):
        return True
    if not isinstance(iterable, cst.Name):
        return False
    name = iterable.value
    for param in func.params.params:
        if param.name.value == name:
            return ct.binding_count(func, name) == 1 and _collection_annotation(param.annotation)
    assign = ct.local_list_assign(func, name)
    displays = cst.List | cst.Tuple | cst.Set | cst.ListComp | cst.SetComp
    return assign is not None and isinstance(assign.value, displays)


def _collection_annotation(annotation: cst.Annotation | None) -> bool:
    if annotation is None:
        return False
    node = annotation.annotation
    if isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Attribute):
        node = node.attr
    return isinstance(node, cst.Name) and node.value in _COLLECTION_ANNOTATIONS
