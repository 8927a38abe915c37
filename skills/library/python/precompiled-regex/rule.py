"""Hoist ``re.<fn>(LITERAL, ...)`` calls into module-level compiled patterns.

Rewrites ``re.match(r"...", s)`` (also ``search``, ``fullmatch``, ``findall``,
``finditer``, ``sub``, ``subn``, ``split``) inside a function into ``_RE_<N>.match(s)``
with ``_RE_<N> = re.compile(r"...")`` placed after the module's imports, when:

1. ``re`` is bound exactly once in the module, by a top-level ``import re``: the call
   really is the standard module's function;
2. the pattern is the same on every call: a plain str literal (no f-string), a
   module-level ``NAME = "literal"`` bound nowhere else (the compiled constant is placed
   below it and keeps the name), or a local bound once, by a top-level
   ``name = "literal"`` of the function that runs before the call (its literal is used);
   the rule compiles it first and skips patterns that do not compile, so the new
   import-time ``re.compile`` cannot raise;
3. flags, when given, are constant: ``re.I``/``re.IGNORECASE``-style attributes of ``re``
   joined with ``|``, passed by keyword ``flags=`` or in the position the module function
   expects; they move to ``re.compile``;
4. every argument is positional or a known keyword of that function, no ``*args`` or
   ``**kwargs``, so arguments map one-to-one onto the compiled method's.

``re.compile(<pattern>[, flags])`` itself, when it runs inside a loop of a function,
becomes the module-level constant (``re``'s cache gives back an equal pattern object, but
each call still pays for the call and the cache lookup).

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
    "compile": (("flags",), 0),
}
_FLAG_NAMES = {name for name in dir(re) if name.isupper() and isinstance(getattr(re, name), re.RegexFlag)}


def rewrite(module: cst.Module) -> cst.Module:
    if ct.imported_modules(module).get("re") != "re" or ct.binding_count(module, "re") != 1:
        return module
    taken = ct.module_bindings(module)
    module_patterns = _module_patterns(module)
    constants: dict[tuple[str, str], str] = {}
    mapping: dict[int, cst.CSTNode] = {}
    after = 0  # the constants go below every module-level pattern they name
    for func in ct.functions(module):
        resolve = _resolver(module, func, module_patterns)
        in_loops = ct.ids_inside_loops(func.body)
        for call in (n for n in ct.walk(func.body) if isinstance(n, cst.Call)):
            plan = _plan(call, resolve)
            if plan is None or (plan[0] == "compile" and id(call) not in in_loops):
                continue
            method, source, flags, args = plan
            key = (cst.Module([]).code_for_node(source), flags)
            if key not in constants:
                constants[key] = _fresh_name(taken, len(constants))
            if isinstance(source, cst.Name):
                after = max(after, module_patterns[source.value][0] + 1)
            mapping[id(call)] = _compiled_call(call, constants[key], method, args)
    if not mapping:
        return module
    new = ct.replace_nodes(module, mapping)
    return _insert_constants(new, constants, after)


def _compiled_call(call: cst.Call, constant: str, method: str, args) -> cst.BaseExpression:
    if method == "compile":
        return cst.Name(constant, lpar=call.lpar, rpar=call.rpar)
    return call.with_changes(func=cst.Attribute(value=cst.Name(constant), attr=cst.Name(method)), args=args)


def _module_patterns(module: cst.Module) -> dict[str, tuple[int, cst.SimpleString]]:
    """Module-level ``NAME = "literal"`` bound nowhere else: name -> (statement index, literal)."""
    out = {}
    for index, stmt in enumerate(module.body):
        if m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.SimpleString())])):
            name = stmt.body[0].targets[0].target.value
            if ct.binding_count(module, name) == 1 and not _declared_global(module, name):
                out[name] = (index, stmt.body[0].value)
    return out


def _declared_global(module: cst.Module, name: str) -> bool:
    return any(
        isinstance(n, cst.Global | cst.Nonlocal) and any(g.name.value == name for g in n.names)
        for n in ct.walk(module)
    )


def _resolver(module: cst.Module, func: cst.FunctionDef, module_patterns):
    """A function from a pattern argument to (literal, source for ``re.compile``) or None:
    a literal is itself; a module constant keeps its name; a local bound once, by a
    top-level ``name = "literal"`` of the function before the call, gives its literal."""
    statements = ct.body_statements(func)
    declared = any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func))

    def resolve(expr: cst.BaseExpression, call: cst.Call):
        if isinstance(expr, cst.SimpleString):
            return expr, expr
        if not isinstance(expr, cst.Name):
            return None
        if expr.value in module_patterns:
            return module_patterns[expr.value][1], expr
        if declared or ct.binding_count(func, expr.value) != 1:
            return None
        for i, stmt in enumerate(statements):
            if m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name(expr.value))], value=m.SimpleString())])):
                later = {id(n) for s in statements[i + 1:] for n in ct.walk(s)}
                return (stmt.body[0].value, stmt.body[0].value) if id(call) in later else None
        return None

    return resolve


def _fresh_name(taken: set[str], index: int) -> str:
    name = f"_RE_{index}"
    while name in taken:
        index += 1
        name = f"_RE_{index}"
    taken.add(name)
    return name


def _plan(call: cst.Call, resolve):
    """(method, pattern source, flags source, remaining args) or None if unprovable."""
    if not m.matches(call.func, m.Attribute(value=m.Name("re"), attr=m.Name())):
        return None
    method = call.func.attr.value
    if method not in _SIGNATURES or not call.args or call.args[0].keyword or call.args[0].star:
        return None
    resolved = resolve(call.args[0].value, call)
    if resolved is None:
        return None
    pattern, source = resolved
    if "b" in pattern.prefix.lower():
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
    return method, source, flags_code, _positional_prefix(rest)


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


def _insert_constants(module: cst.Module, constants: dict[tuple[str, str], str], after: int) -> cst.Module:
    index = 0
    for i, stmt in enumerate(module.body):
        if m.matches(stmt, m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])):
            index = i + 1
        elif i == 0 and m.matches(stmt, m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])):
            index = 1
    index = max(index, after)
    lines = []
    for (pattern, flags), name in constants.items():
        extra = f", {flags}" if flags else ""
        lines.append(cst.parse_statement(f"{name} = re.compile({pattern}{extra})\n"))
    lines[0] = lines[0].with_changes(leading_lines=[cst.EmptyLine()])
    body = list(module.body)
    body[index:index] = lines
    return module.with_changes(body=body)
