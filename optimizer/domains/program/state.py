"""State a rewrite carries from one call to the next, found in its source.

A timing that calls the same inputs again and again rewards memoization: the candidate
answers from its cache while the original works. :func:`new_carried_state` names what a
candidate adds that can carry state across calls (a caching decorator, a ``global``
statement, a mutable default argument, a module-level container that a function changes),
so the final timing knows to measure it on fresh state as well (``measure(cold=True)``).
"""

from __future__ import annotations

import ast

CACHING_DECORATORS = frozenset({"cache", "lru_cache", "cached", "memoize", "memoized", "cached_property"})
_CONTAINER_CALLS = frozenset({"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"})
_MUTATING_METHODS = frozenset({"append", "add", "update", "setdefault", "extend", "insert", "appendleft"})


def new_carried_state(original: str, candidate: str) -> tuple[str, ...]:
    """What ``candidate`` has, and ``original`` has not, that can carry state across calls,
    in words (e.g. ``"@lru_cache on fib"``); empty when nothing new (or either side does not parse)."""
    try:
        before, after = carried_state(ast.parse(original)), carried_state(ast.parse(candidate))
    except (SyntaxError, ValueError):
        return ()
    return tuple(sorted(after - before))


def carried_state(tree: ast.Module) -> frozenset[str]:
    """Every construct of ``tree`` that can keep state between calls of its functions."""
    found: set[str] = set()
    containers = _module_containers(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found |= {f"@{name} on {node.name}" for name in map(_decorator_name, node.decorator_list)
                      if name in CACHING_DECORATORS}
            defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            if any(_is_container(d) for d in defaults):
                found.add(f"a mutable default argument of {node.name}")
            found |= {f"module-level {name} changed by {node.name}" for name in _changed(node, containers)}
        elif isinstance(node, ast.Global):
            found |= {f"global {name}" for name in node.names}
    return frozenset(found)


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_container(node: ast.expr) -> bool:
    if isinstance(node, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp):
        return True
    return isinstance(node, ast.Call) and _decorator_name(node.func) in _CONTAINER_CALLS


def _module_containers(tree: ast.Module) -> frozenset[str]:
    names = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and _is_container(stmt.value):
            names |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and _is_container(stmt.value):
            names |= {stmt.target.id} if isinstance(stmt.target, ast.Name) else set()
    return frozenset(names)


def _changed(func: ast.AST, containers: frozenset[str]) -> set[str]:
    """Module-level containers that ``func`` stores into or calls a mutating method on."""
    changed = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            base = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _MUTATING_METHODS:
            base = node.func.value
        else:
            continue
        if isinstance(base, ast.Name) and base.id in containers:
            changed.add(base.id)
    return changed
