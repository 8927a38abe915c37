"""Hoist ``re.<fn>(LITERAL, ...)`` calls into module-level compiled patterns.

Rewrites ``re.match(r"...", s)`` (also ``search``, ``fullmatch``, ``findall``,
``finditer``, ``sub``, ``subn``, ``split``) inside a function into ``_RE_<N>.match(s)``
with ``_RE_<N> = re.compile(r"...")`` placed after the module's imports, when:

1. ``re`` is bound exactly once in the module, by a top-level ``import re``: the call
   really is the standard module's function;
2. the pattern is a plain str literal (no f-string, no names), so it is the same on
   every call; the rule compiles it first and skips patterns that do not compile, so the
   new import-time ``re.compile`` cannot raise;
3. flags, when given, are constant: ``re.I``/``re.IGNORECASE``-style attributes of ``re``
   joined with ``|``, passed by keyword ``flags=`` or in the position the module function
   expects; they move to ``re.compile``;
4. every argument is positional or a known keyword of that function, no ``*args`` or
   ``**kwargs``, so arguments map one-to-one onto the compiled method's.

Calls at module level are left alone (they run once).
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct

# function -> (positional parameter names after the pattern, index of ``flags`` among them)
_SIGNATURES = {
    "match": (("string", "flags"), 1),
    "search": (("string", "flags"), 1),
    "fullmatch": (("string", "flags"), 1),
    "findall": (("string", "flags"), 1),
    "finditer": (("string", "flags"), 1),
    "split": (("string", "maxsplit", "flags"), 2),
    "sub": (("repl", "string", "count", "flags"), 3),
    "subn": (("repl", "string", "count", "flags"), 3),
}
_FLAG_NAMES = {name for name in dir(re) if name.isupper() and isinstance(getattr(re, name), re.RegexFlag)}


def rewrite(module: cst.Module) -> cst.Module:
    if ct.imported_modules(module).get("re") != "re" or ct.binding_count(module, "re") != 1:
        return module
    taken = ct.module_bindings(module)
    constants: dict[tuple[str, str], str] = {}
    mapping: dict[int, cst.CSTNode] = {}
    for func in ct.functions(module):
        for call in (n for n in ct.walk(func.body) if isinstance(n, cst.Call)):
            plan = _plan(call)
            if plan is None:
                continue
            method, pattern, flags, args = plan
            key = (pattern.value, flags)
            if key not in constants:
                constants[key] = _fresh_name(taken, len(constants))
            compiled = cst.Attribute(value=cst.Name(constants[key]), attr=cst.Name(method))
            mapping[id(call)] = call.with_changes(func=compiled, args=args)
    if not mapping:
        return module
    new = ct.replace_nodes(module, mapping)
    return _insert_constants(new, constants)


def _fresh_name(taken: set[str], index: int) -> str:
    name = f"_RE_{index}"
    while name in taken:
        index += 1
        name = f"_RE_{index}"
    taken.add(name)
    return name


def _plan(call: cst.Call):
    """(method, pattern literal, flags source, remaining args) or None if unprovable."""
    if not m.matches(call.func, m.Attribute(value=m.Name("re"), attr=m.Name())):
        return None
    method = call.func.attr.value
    if method not in _SIGNATURES or not call.args or call.args[0].keyword or call.args[0].star:
        return None
    pattern = call.args[0].value
    if not isinstance(pattern, cst.SimpleString) or "b" in pattern.prefix.lower():
        return None
    params, flags_at = _SIGNATURES[method]
    named = _bind(call.args[1:], params)
    if named is None:
        return None
    flags = named.pop("flags", None)
    flags_code = "" if flags is None else cst.Module([]).code_for_node(flags)
    if flags is not None and not _constant_flags(flags):
        return None
    if not _compiles(pattern, flags):
        return None
    rest = [cst.Arg(named[p]) if i < flags_at else cst.Arg(named[p], keyword=cst.Name(p)) for i, p in enumerate(params) if p in named]
    return method, pattern, flags_code, _positional_prefix(rest)


def _bind(args, params) -> dict[str, cst.BaseExpression] | None:
    named: dict[str, cst.BaseExpression] = {}
    for i, arg in enumerate(args):
        if arg.star:
            return None
        key = arg.keyword.value if arg.keyword else (params[i] if i < len(params) else None)
        if key not in params or key in named:
            return None
        named[key] = arg.value
    return named


def _positional_prefix(args: list[cst.Arg]) -> list[cst.Arg]:
    return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]


def _constant_flags(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        return _constant_flags(expr.left) and _constant_flags(expr.right)
    return m.matches(expr, m.Attribute(value=m.Name("re"), attr=m.Name())) and expr.attr.value in _FLAG_NAMES


def _flag_value(expr: cst.BaseExpression | None) -> int:
    if expr is None:
        return 0
    if isinstance(expr, cst.BinaryOperation):
        return _flag_value(expr.left) | _flag_value(expr.right)
    return int(getattr(re, expr.attr.value))


def _compiles(pattern: cst.SimpleString, flags: cst.BaseExpression | None) -> bool:
    try:
        re.compile(pattern.evaluated_value, _flag_value(flags))
    except (re.error, ValueError, TypeError):
        return False
    return True


def _insert_constants(module: cst.Module, constants: dict[tuple[str, str], str]) -> cst.Module:
    index = 0
    for i, stmt in enumerate(module.body):
        if m.matches(stmt, m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])):
            index = i + 1
        elif i == 0 and m.matches(stmt, m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])):
            index = 1
    lines = []
    for (pattern, flags), name in constants.items():
        extra = f", {flags}" if flags else ""
        lines.append(cst.parse_statement(f"{name} = re.compile({pattern}{extra})\n"))
    lines[0] = lines[0].with_changes(leading_lines=[cst.EmptyLine()])
    body = list(module.body)
    body[index:index] = lines
    return module.with_changes(body=body)
