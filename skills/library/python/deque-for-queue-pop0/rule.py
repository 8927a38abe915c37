"""Rewrite a local list used as a FIFO queue into a ``collections.deque``.

Rewrites ``q = [...]`` into ``q = deque([...])``, ``q.pop(0)`` into ``q.popleft()`` and
``q.insert(0, x)`` into ``q.appendleft(x)`` when all of these are proven from the function's code:

1. ``q`` is bound exactly once in the function, by ``q = [...]`` (a list display) or
   ``q = list(xs)`` / ``list()`` (``list`` not rebound in the module: a fresh list, and
   ``deque(xs)`` takes the items of ``xs`` in the same order, once), and the function
   declares no ``global``/``nonlocal``: no other code can see the list;
2. every other use of ``q`` is one of ``q.append(x)``, ``q.extend(xs)``, ``q.pop()``,
   ``q.pop(0)``, ``q.insert(0, x)``, ``q.clear()``, ``len(q)``, or a truth test (``while q:``, ``if q:``,
   ``not q``): operations a deque performs identically; no indexing, slicing, sorting,
   comparison, returning or passing the list anywhere;
3. at least one ``q.pop(0)`` or ``q.insert(0, x)`` exists (else there is nothing to gain);
   both shift the whole list, O(n), where the deque's ``popleft``/``appendleft`` are O(1);
4. the name ``deque`` is not bound in the module except by ``from collections import
   deque``, and ``len`` is not rebound.

The rule adds ``from collections import deque`` when the module lacks it.
"""

from __future__ import annotations

import libcst as cst

from polca.skills import cst_tools as ct

_SAME_ON_DEQUE = {"append", "extend", "pop", "clear", "insert"}
_IMPORT = "from collections import deque"


def rewrite(module: cst.Module) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if ct.binding_count(module, "deque") > (1 if _has_import(module) else 0):
        return module
    mapping: dict[int, cst.CSTNode] = {}
    for func in ct.functions(module):
        mapping.update(_rewrite_function(func, shadowed))
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), _IMPORT)


def _has_import(module: cst.Module) -> bool:
    code = cst.Module([])
    return any(code.code_for_node(stmt).strip() == _IMPORT for stmt in module.body)


def _fresh_list(value: cst.BaseExpression, shadowed: set[str]) -> bool:
    """A list display, or ``list()`` / ``list(xs)`` of the built-in ``list``."""
    if isinstance(value, cst.List):
        return True
    return (ct.is_call_to(value, "list") and "list" not in shadowed and len(value.args) <= 1
            and all(a.keyword is None and a.star == "" for a in value.args))


def _queue_names(func: cst.FunctionDef, shadowed: set[str]) -> list[str]:
    names = []
    for node in ct.walk(func.body):
        if isinstance(node, cst.Assign) and _fresh_list(node.value, shadowed):
            names += [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
    return names


def _as_deque(value: cst.List | cst.Call) -> cst.Call:
    if isinstance(value, cst.Call):
        return value.with_changes(func=cst.Name("deque"))
    return cst.Call(func=cst.Name("deque"), args=[cst.Arg(value)] if value.elements else [])


def _rewrite_function(func: cst.FunctionDef, shadowed: set[str]) -> dict[int, cst.CSTNode]:
    mapping: dict[int, cst.CSTNode] = {}
    parents = ct.parent_map(func)
    for name in _queue_names(func, shadowed):
        assign = ct.local_list_assign(func, name)
        if assign is None or not _fresh_list(assign.value, shadowed):
            continue
        pops = _front_pops(func, name, assign, parents, shadowed)
        if not pops:
            continue
        mapping[id(assign.value)] = _as_deque(assign.value)
        for call in pops:
            mapping[id(call)] = _at_front(call)
    return mapping


def _at_front(call: cst.Call) -> cst.Call:
    """``q.pop(0)`` -> ``q.popleft()``; ``q.insert(0, x)`` -> ``q.appendleft(x)``."""
    if call.func.attr.value == "pop":
        return call.with_changes(func=call.func.with_changes(attr=cst.Name("popleft")), args=[])
    item = call.args[1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(func=call.func.with_changes(attr=cst.Name("appendleft")), args=[item])


def _front_pops(func, name, assign, parents, shadowed) -> list[cst.Call]:
    """The ``name.pop(0)`` and ``name.insert(0, x)`` calls, or [] if any use of ``name``
    is not deque-safe."""
    pops = []
    for ref in ct.name_refs(func, name):
        if ref is assign.targets[0].target:
            continue
        if ct.is_truth_test(ref, parents) or ct.is_len_of(ref, parents, shadowed):
            continue
        method = ct.method_call_on(ref, parents)
        if method is None or method[0] not in _SAME_ON_DEQUE:
            return []
        call = method[1]
        if method[0] == "insert":
            # only insert at the front has a deque equivalent; insert(i, x) elsewhere does not
            if len(call.args) != 2 or not _is_zero(call.args[0]) or call.args[1].keyword or call.args[1].star:
                return []
            pops.append(call)
        elif method[0] == "pop" and call.args:
            if len(call.args) != 1 or not _is_zero(call.args[0]):
                return []
            pops.append(call)
    return pops


def _is_zero(arg: cst.Arg) -> bool:
    return arg.keyword is None and arg.star == "" and isinstance(arg.value, cst.Integer) and arg.value.value == "0"
