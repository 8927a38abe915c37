"""Alias functions and constants of pure standard modules before a hot ``for`` loop.

Rewrites::

    for x in xs:
        total += math.sqrt(x)

into ``sqrt = math.sqrt`` placed right before the loop and ``sqrt(x)`` inside it, when
all of these are proven:

1. the module (``math``, ``cmath``, ``operator``, ``heapq``, ``bisect``) is bound exactly
   once, by a top-level ``import``, and no code in the file assigns or deletes any of its
   attributes;
2. the loop is a statement directly in a function body (so the alias runs right before
   it, exactly once), and the function declares no ``global``/``nonlocal``;
3. the loop's iterable and body call nothing but those module functions and the
   built-ins ``abs min max len range int float round divmod pow sum`` (none rebound in
   the file): no code that could rebind the attribute runs during the loop (code in
   other threads is assumed not to monkeypatch the standard library);
4. the alias name (the attribute's own name, or ``_<module>_<attr>``) is not bound or
   read anywhere in the file.

Evaluating ``math.sqrt`` once before the loop instead of on every iteration cannot fail
differently: the attribute exists (the loop body would raise AttributeError on its first
use otherwise, and the rule only aliases attributes that the standard module defines).
"""

from __future__ import annotations

import importlib

import libcst as cst

from polca.skills import cst_tools as ct

_PURE_MODULES = ("math", "cmath", "operator", "heapq", "bisect")
_PURE_BUILTINS = {"abs", "min", "max", "len", "range", "int", "float", "round", "divmod", "pow", "sum"}


def rewrite(module: cst.Module) -> cst.Module:
    modules = _usable_modules(module)
    if not modules:
        return module
    taken = ct.module_bindings(module) | ct.names_read(module)
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        for loop in ct.body_statements(func):
            if isinstance(loop, cst.For) and not loop.asynchronous:
                mapping.update(_alias_loop(loop, modules, taken))
    return ct.replace_nodes(module, mapping) if mapping else module


def _usable_modules(module: cst.Module) -> set[str]:
    imported = ct.imported_modules(module)
    written = set()
    for node in ct.walk(module):
        targets = []
        if isinstance(node, cst.AssignTarget | cst.AugAssign | cst.AnnAssign | cst.Del):
            targets = [node.target]
        for target in targets:
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                written.add(target.value.value)
    return {
        name
        for name in _PURE_MODULES
        if imported.get(name) == name and ct.binding_count(module, name) == 1 and name not in written
    }


def _module_attr(node: cst.CSTNode, modules: set[str]) -> tuple[str, str] | None:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in modules:
        mod, attr = node.value.value, node.attr.value
        return (mod, attr) if hasattr(importlib.import_module(mod), attr) else None
    return None


def _alias_loop(loop: cst.For, modules: set[str], taken: set[str]) -> dict[int, object]:
    uses: dict[tuple[str, str], list[cst.Attribute]] = {}
    for node in ct.walk(loop):
        key = _module_attr(node, modules)
        if key is not None:
            uses.setdefault(key, []).append(node)
    if not uses or not _calls_only_pure(loop, modules, taken):
        return {}
    mapping: dict[int, object] = {}
    aliases = []
    for (mod, attr), nodes in sorted(uses.items()):
        alias = attr if attr not in taken and attr.isidentifier() else f"_{mod}_{attr}"
        if alias in taken:
            return {}
        taken.add(alias)
        aliases.append(cst.parse_statement(f"{alias} = {mod}.{attr}\n"))
        mapping.update({id(n): cst.Name(alias) for n in nodes})
    mapping[id(loop)] = lambda new_loop: cst.FlattenSentinel([*aliases, new_loop])
    return mapping


def _calls_only_pure(loop: cst.For, modules: set[str], taken: set[str]) -> bool:
    for node in ct.walk(loop):
        if not isinstance(node, cst.Call):
            continue
        if _module_attr(node.func, modules) is not None:
            continue
        if isinstance(node.func, cst.Name) and node.func.value in _PURE_BUILTINS - taken:
            continue
        return False
    return True
