"""State a rewrite carries from one call to the next, found in its source.

A timing that calls the same inputs again and again rewards memoization: the candidate
answers from its cache while the original works. :func:`new_carried_state` names what a
candidate adds that can carry state across calls (a caching decorator or a call of one, a
``global`` statement, a mutable default argument, a function's ``__dict__``, a module- or
class-level container that a function changes or reads), so the final timing knows to
measure it on fresh state as well (``measure(cold=True)``).

It errs on the side of naming too much: a construct named needlessly costs a cold timing,
one missed lets a cache's warm speedup through.
"""

from __future__ import annotations

import ast

from polca.parsing import parse_python

CACHING_DECORATORS = frozenset({"cache", "lru_cache", "cached", "memoize", "memoized", "cached_property"})
_CONTAINER_CALLS = frozenset({"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"})
_MUTATING_METHODS = frozenset({"append", "add", "update", "setdefault", "extend", "insert", "appendleft",
                               "__setitem__", "pop", "popitem", "clear", "remove", "discard"})

Func = ast.FunctionDef | ast.AsyncFunctionDef


def new_carried_state(original: str, candidate: str) -> tuple[str, ...]:
    """What ``candidate`` has, and ``original`` has not or has differently (another decorator
    argument, another container definition), that can carry state across calls, in words
    (e.g. ``"@lru_cache on fib"``); empty when nothing new (or either side does not parse)."""
    try:
        before, after = _carried(parse_python(original)), _carried(parse_python(candidate))
    except (SyntaxError, ValueError):
        return ()
    return tuple(sorted(word for word, text in after.items() if before.get(word) != text))


def carried_state(tree: ast.Module) -> frozenset[str]:
    """Every construct of ``tree`` that can keep state between calls of its functions."""
    return frozenset(_carried(tree))


def _carried(tree: ast.Module) -> dict[str, str]:
    """{construct in words: its source text}; the text tells a changed construct from the same one."""
    found: dict[str, str] = {}
    containers = _containers(tree)
    decorators = {id(d) for node in ast.walk(tree) if isinstance(node, Func | ast.ClassDef)
                  for d in node.decorator_list}
    for scope, node in _scoped(tree):
        if isinstance(node, Func):
            for d in node.decorator_list:
                if _decorator_name(d) in CACHING_DECORATORS:
                    _add(found, f"@{_decorator_name(d)} on {node.name}", ast.unparse(d))
            defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            if any(_is_container(d) for d in defaults):
                _add(found, f"a mutable default argument of {node.name}", "")
            _add_containers(found, node, containers)
        elif isinstance(node, ast.Global):
            for name in node.names:
                _add(found, f"global {name}", "")
        elif isinstance(node, ast.Call) and id(node) not in decorators and _called(node) in CACHING_DECORATORS:
            _add(found, f"a call of {_called(node)} in {scope}", ast.unparse(node))
        elif isinstance(node, ast.Attribute) and node.attr == "__dict__":
            _add(found, f"the __dict__ of {ast.unparse(node.value)} used in {scope}", "")
    return found


def _add(found: dict[str, str], word: str, text: str) -> None:
    found[word] = f"{found[word]}\n{text}" if word in found else text


def _scoped(tree: ast.Module):
    """(the innermost function's name or "the module", node) for every node of ``tree``."""
    todo: list[tuple[str, ast.AST]] = [("the module", tree)]
    while todo:
        scope, node = todo.pop()
        yield scope, node
        inner = node.name if isinstance(node, Func) else scope
        todo += [(inner, child) for child in reversed(list(ast.iter_child_nodes(node)))]


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


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


def _containers(tree: ast.Module) -> dict[str, str]:
    """{name: its definition's text} of the module-level containers (``_memo``) and the
    class-level ones (``Cache.memo``, read as ``Cache.memo``, ``self.memo`` or ``cls.memo``)."""
    out = {}
    for stmt, prefix in [(s, "") for s in tree.body] + [
            (s, f"{c.name}.") for c in tree.body if isinstance(c, ast.ClassDef) for s in c.body]:
        if isinstance(stmt, ast.Assign) and _is_container(stmt.value):
            out |= {prefix + t.id: ast.unparse(stmt.value) for t in stmt.targets if isinstance(t, ast.Name)}
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and _is_container(stmt.value) \
                and isinstance(stmt.target, ast.Name):
            out[prefix + stmt.target.id] = ast.unparse(stmt.value)
    return out


def _add_containers(found: dict[str, str], func: Func, containers: dict[str, str]) -> None:
    """The containers ``func`` changes, and those it only reads (through an alias it may change them)."""
    changed, read = _changed(func, containers), _read(func, containers)
    for name in sorted(changed):
        _add(found, f"{_level(name)} {name} changed by {func.name}", containers[name])
    for name in sorted(read - changed):
        _add(found, f"{_level(name)} {name} read by {func.name}", containers[name])


def _level(name: str) -> str:
    return "class-level" if "." in name else "module-level"


def _container_name(node: ast.expr, containers: dict[str, str]) -> str | None:
    """The container ``node`` names: ``_memo``, or ``C.memo`` / ``self.memo`` of a class-level one."""
    if isinstance(node, ast.Name) and node.id in containers:
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        owners = [n for n in containers if n.endswith(f".{node.attr}")]
        exact = f"{node.value.id}.{node.attr}"
        return exact if exact in containers else (owners[0] if owners and node.value.id in ("self", "cls")
                                                  else None)
    return None


def _read(func: Func, containers: dict[str, str]) -> set[str]:
    names = (_container_name(n, containers) for n in ast.walk(func) if isinstance(n, ast.Name | ast.Attribute))
    return {n for n in names if n is not None}


def _changed(func: ast.AST, containers: dict[str, str]) -> set[str]:
    """Containers that ``func`` stores into or calls a mutating method on."""
    changed = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            base = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _MUTATING_METHODS:
            base = node.func.value
        else:
            continue
        name = _container_name(base, containers)
        if name is not None:
            changed.add(name)
    return changed
