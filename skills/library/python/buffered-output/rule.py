"""Collect a loop's ``print`` output and write it once, byte for byte the same.

A ``for`` loop (in a function or at module level) whose body prints lines becomes

    output_parts = []
    try:
        for ...:
            ...
            output_parts.append(str(x) + "\\n")     # was: print(x)
    finally:
        sys.stdout.write("".join(output_parts))

``print(a)`` becomes ``append(str(a) + END)``; several arguments
``extend(str(v) if i % 2 == 0 else v for i, v in enumerate((a, SEP, b, END)))`` (all
arguments evaluated before any is converted, then converted and collected one at a time
with SEP between, as ``print`` does, so a failing ``str()`` leaves the same text), with
``sep=``/``end=`` string literals carried over. ``print`` writes ``str()`` of each argument to
``sys.stdout``; the collected text is the same, and ``finally`` writes it also when the
loop raises, returns or breaks, so stdout holds exactly the bytes the original wrote
before failing, and the exception or exit status is unchanged.

Preconditions, proven from the module:

1. every ``print`` in the loop is a statement of its own with positional arguments and
   at most literal ``sep=``/``end=`` (no ``file=``, ``flush=``, ``*args``); no other use of
   ``print`` in the loop;
2. nothing else in the loop can write to stdout: no ``sys``/``os``/``open``/``exec``...,
   ``input`` only without a prompt, no nested function, lambda, ``yield``, ``await`` or
   ``global``; every module function or method the loop names is quiet in the same sense
   (transitively); attributes of imported modules only for modules that do not write
   (not ``sys``, ``os``, ``subprocess``, ``pprint``, ``logging``...);
3. ``print``, ``str``, ``enumerate`` are the built-ins, ``sys`` is bound only by ``import sys``
   (added when missing), ``output_parts`` is free; the loop is not inside another loop
   this rule rewrites.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import PURE_BUILTINS

_NAME = "output_parts"
_LOUD_NAMES = frozenset({"sys", "os", "open", "exec", "eval", "compile", "__import__", "help", "breakpoint",
                         "globals", "locals", "vars", "getattr", "setattr", "delattr", "__builtins__"})
_LOUD_METHODS = frozenset({"write", "writelines", "flush", "print", "pprint", "display", "show", "dump", "log",
                           "info", "debug", "warning", "error", "exception", "critical", "system", "run", "call"})
_LOUD_MODULES = frozenset({"sys", "os", "subprocess", "pprint", "logging", "builtins", "io", "traceback",
                           "faulthandler", "pdb", "code", "shutil", "pty", "tty", "curses"})


def rewrite(module: cst.Module) -> cst.Module:
    shadowed = ct.module_bindings(module)
    sys_imported = ct.imported_modules(module).get("sys") == "sys"
    if {"print", "str", "enumerate", _NAME} & shadowed or ct.binding_count(module, "sys") != (1 if sys_imported else 0):
        return module
    context = _Context(module)
    mapping: dict[int, object] = {}
    blocks = [module, *(n for n in ct.walk(module) if isinstance(n, cst.IndentedBlock))]
    loops = [s for b in blocks for s in b.body if isinstance(s, cst.For) and context.prints_quietly(s)]
    inner = {id(n) for loop in loops for n in ct.walk(loop.body)}
    for loop in loops:
        if id(loop) not in inner:  # an outer loop's rewrite covers the loops inside it
            mapping[id(loop)] = _buffered(loop)
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), "import sys")


class _Context:
    """What the module defines, to decide whether code could write to stdout."""

    def __init__(self, module: cst.Module) -> None:
        self.defs: dict[str, list[cst.FunctionDef]] = {}
        for func in ct.functions(module):
            self.defs.setdefault(func.name.value, []).append(func)
        self.classes = {n.name.value for n in ct.walk(module) if isinstance(n, cst.ClassDef)}
        self.imports = ct.imported_modules(module)
        self.from_imported: dict[str, str] = {}
        for statement in module.body:
            if m.matches(statement, m.SimpleStatementLine([m.ImportFrom()])):
                node = statement.body[0]
                source = cst.Module([]).code_for_node(node.module) if node.module is not None else "."
                for name in _from_names(node):
                    self.from_imported[name] = source
        self._quiet: dict[int, bool] = {}

    def prints_quietly(self, loop: cst.For) -> bool:
        """``loop`` prints only through print statements and nothing in it writes otherwise."""
        statements = [s.body[0].value for s in ct.walk(loop.body)
                      if m.matches(s, m.SimpleStatementLine([m.Expr(m.Call(m.Name("print")))]))]
        names = [n for n in ct.walk(loop) if m.matches(n, m.Name("print"))]
        if not statements or len(names) != len(statements) or not all(_convertible(p) for p in statements):
            return False
        return self._quiet_code(loop)

    def _quiet_code(self, node: cst.CSTNode) -> bool:
        for child in ct.walk(node):
            if isinstance(child, cst.FunctionDef | cst.Lambda | cst.ClassDef | cst.Yield | cst.Await | cst.Global
                          | cst.Nonlocal) and child is not node:
                return False
            if isinstance(child, cst.Call) and not self._quiet_call(child):
                return False
            if isinstance(child, cst.Name) and not self._quiet_name(child.value):
                return False
        return True

    def _quiet_call(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
            if name == "input":
                return not call.args
            if name in self.defs:
                return True  # its body is checked through the name
            if name in self.from_imported or name in self.imports:
                return True  # checked through the name
            return name in PURE_BUILTINS and name not in self.classes
        if isinstance(func, cst.Attribute):
            return func.attr.value not in _LOUD_METHODS
        return False

    def _quiet_name(self, name: str) -> bool:
        if name in _LOUD_NAMES or name in self.classes:
            return False
        if name in self.imports:
            return self.imports[name].split(".")[0] not in _LOUD_MODULES
        if name in self.from_imported:
            return self.from_imported[name].split(".")[0] not in _LOUD_MODULES and name != "*"
        return all(self._quiet_function(f) for f in self.defs.get(name, []))

    def _quiet_function(self, func: cst.FunctionDef) -> bool:
        key = id(func)
        if key not in self._quiet:
            self._quiet[key] = True  # recursion: assume quiet while looking
            self._quiet[key] = not func.decorators and "print" not in ct.names_read(func) and self._quiet_code(func)
        return self._quiet[key]


def _from_names(node: cst.ImportFrom) -> set[str]:
    if isinstance(node.names, cst.ImportStar):
        return {"*"}
    return {(a.asname.name.value if a.asname else cst.Module([]).code_for_node(a.name)) for a in node.names}


def _convertible(call: cst.Call) -> bool:
    for arg in call.args:
        if arg.star:
            return False
        if arg.keyword is not None and (arg.keyword.value not in ("sep", "end")
                                        or not isinstance(arg.value, cst.SimpleString)
                                        or "b" in arg.value.prefix.lower()):
            return False  # a bytes separator makes print raise; keep its own message
    return True


def _piece(call: cst.Call) -> cst.Call:
    """``output_parts.append(...)``/``.extend(...)`` of the text ``print(...)`` writes.

    Several arguments: ``print`` evaluates them all, then writes ``str()`` of each with
    ``sep`` before it, one at a time, so a failing conversion leaves the earlier pieces
    written. ``extend`` over a generator appends each piece as it is made, the same way:
    the tuple holds arguments at even places (converted) and ``sep``/``end`` at odd ones."""
    values = [a.value for a in call.args if a.keyword is None]
    options = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    end = options.get("end", cst.SimpleString('"\\n"'))
    sep = options.get("sep", cst.SimpleString('" "'))
    if not values:
        return cst.parse_expression(f"{_NAME}.append(x)").with_changes(args=[cst.Arg(end)])
    if len(values) == 1:
        text = cst.parse_expression(f"{_NAME}.append(str(x) + {cst.Module([]).code_for_node(end)})")
        piece = text.args[0].value
        return text.with_changes(args=[cst.Arg(piece.with_changes(left=piece.left.with_changes(
            args=[cst.Arg(values[0])])))])
    parts = [p for v in values for p in (v, sep)][:-1] + [end]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    tuple_ = cst.Tuple([cst.Element(v, comma=comma if i < len(parts) - 1 else cst.MaybeSentinel.DEFAULT)
                        for i, v in enumerate(parts)])
    text = cst.parse_expression(f"{_NAME}.extend(str(v) if i % 2 == 0 else v for i, v in enumerate(x))")
    generator = text.args[0].value
    loop = generator.for_in.with_changes(iter=generator.for_in.iter.with_changes(args=[cst.Arg(tuple_)]))
    return text.with_changes(args=[cst.Arg(generator.with_changes(for_in=loop))])


def _buffered(loop: cst.For) -> cst.FlattenSentinel:
    replacements = {}
    for node in ct.walk(loop.body):
        if m.matches(node, m.Expr(m.Call(m.Name("print")))):
            replacements[id(node)] = node.with_changes(value=_piece(node.value))
    new_loop = ct.replace_nodes(loop, replacements).with_changes(leading_lines=[])
    wrapper = cst.parse_statement(f"try:\n    pass\nfinally:\n    sys.stdout.write(\"\".join({_NAME}))\n")
    wrapper = wrapper.with_changes(body=wrapper.body.with_changes(body=[new_loop]))
    start = cst.parse_statement(f"{_NAME} = []\n").with_changes(leading_lines=loop.leading_lines)
    return cst.FlattenSentinel([start, wrapper])
