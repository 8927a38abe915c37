"""Read lines with ``sys.stdin.readline`` instead of ``input()``, raising as ``input`` does.

Each ``input()`` (no prompt) in a function becomes ``(readline() or _eof())`` with
``readline = sys.stdin.readline`` bound once as the function's first statement; at module
level it becomes ``(sys.stdin.readline() or _eof())``. ``_eof`` is a module-level helper
the rule adds that raises ``EOFError("EOF when reading a line")``, exactly what ``input``
raises at end of input (``readline`` returns ``""`` only there). ``input`` reads a
redirected stdin through its ``readline`` and drops one trailing newline, so:

* as the receiver of ``.split()``, ``.strip()``, ``.rstrip()`` (no arguments) or the
  argument of ``int(...)``/``float(...)``, the newline makes no difference and the line
  is used as read;
* anywhere else ``.removesuffix("\\n")`` drops it as ``input`` does.

``input`` also flushes stdout before reading; that changes only when output appears,
not the bytes written.

Preconditions, proven from the module: ``input``, ``int``, ``float`` are the built-ins;
``sys`` is bound only by ``import sys`` (added when missing); ``readline`` and ``_eof``
are free (``_eof`` may be this rule's helper); calls not inside nested functions or
lambdas of the function they are counted for.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct

HELPER = '''def _eof():
    """What ``input()`` raises at the end of stdin."""
    raise EOFError("EOF when reading a line")
'''
_SAFE_METHODS = frozenset({"split", "strip", "rstrip"})


def rewrite(module: cst.Module) -> cst.Module:
    shadowed = ct.module_bindings(module)
    sys_imported = ct.imported_modules(module).get("sys") == "sys"
    helper = ct.has_statement(module, HELPER)
    if ({"input", "int", "float", "readline"} & shadowed or ("_eof" in shadowed and not helper)
            or ct.binding_count(module, "sys") != (1 if sys_imported else 0)):
        return module
    parents = ct.parent_map(module)
    in_functions = {id(n): f for f in ct.functions(module) for n in ct.own_nodes(f)}
    nested = {id(x) for n in ct.walk(module) if isinstance(n, cst.Lambda | cst.FunctionDef) for x in ct.walk(n)}
    mapping: dict[int, object] = {}
    readers: dict[int, cst.FunctionDef] = {}
    for node in ct.walk(module):
        if not (ct.is_call_to(node, "input") and not node.args):
            continue
        func = in_functions.get(id(node))
        if func is None and id(node) in nested:
            continue  # in a lambda (or a function's lambda): no place to bind readline
        reader = "readline()" if func is not None else "sys.stdin.readline()"
        mapping[id(node)] = _replacement(node, parents, reader)
        if func is not None:
            readers[id(func)] = func
    if not mapping:
        return module
    for key in readers:
        mapping[key] = _bind_readline
    result = ct.replace_nodes(module, mapping)
    return ct.add_import(ct.insert_helper(result, HELPER), "import sys")


def _replacement(call: cst.Call, parents, reader: str) -> cst.BaseExpression:
    line = cst.parse_expression(f"({reader} or _eof())")
    parent = parents.get(id(call))
    if isinstance(parent, cst.Attribute) and parent.value is call and parent.attr.value in _SAFE_METHODS:
        method_call = parents.get(id(parent))
        if isinstance(method_call, cst.Call) and method_call.func is parent and not method_call.args:
            return line
    if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
        outer = parents.get(id(parent))
        if isinstance(outer, cst.Call) and len(outer.args) == 1 and m.matches(outer.func, m.Name("int") | m.Name("float")):
            return cst.parse_expression(f"{reader} or _eof()")
    return cst.parse_expression(f'({reader} or _eof()).removesuffix("\\n")')


def _bind_readline(func: cst.FunctionDef) -> cst.FunctionDef:
    statements = list(func.body.body)
    start = 1 if statements and m.matches(statements[0], m.SimpleStatementLine([m.Expr(m.SimpleString())])) else 0
    bind = cst.parse_statement("readline = sys.stdin.readline\n")
    return func.with_changes(body=func.body.with_changes(body=statements[:start] + [bind] + statements[start:]))
