"""Replace loops over the characters of a str with the str method that does the same in C.

Each rewrite takes a ``for c in S:`` loop (no ``else``, a plain-name target) over an
expression ``S`` proven to be a ``str`` (:func:`polca.skills.cst_tools.is_str_expr` and
:func:`~polca.skills.cst_tools.str_names`: literals, str methods, parameters observed or
annotated ``str``), where ``c`` is bound only as a ``for`` target and read only inside
the bodies of such loops (after the loop it would hold the last character), and the loop body is exactly one of these shapes:

1. count: ``n = K`` right before ``for c in S: if c == "x": n += 1`` becomes
   ``n = K + S.count("x")`` (``n = S.count("x")`` for ``K == 0``); ``"x"`` must be one
   character (``c`` never equals a longer string, while ``count`` would find it);
   ``if c in "aeiou"`` becomes ``sum(map(S.count, "aeiou"))`` when the characters are
   distinct (a repeated one would be counted twice);
2. upper: ``out = ""`` right before ``for c in S: out += c.upper()`` becomes
   ``out = S.upper()`` (also ``casefold``); ``lower`` is left alone: ``str.lower`` maps a
   final capital sigma by context, per character it cannot;
3. replace: ``out = ""`` right before ``for c in S: if c == "x": out += R else: out += c``
   becomes ``out = S.replace("x", R)`` for a one-character ``"x"`` and a str literal ``R``;
4. all-of-a-class: ``for c in S: if not c.isdigit(): return False`` followed by
   ``return True`` becomes ``return S.isdigit() or not S`` (also ``isalpha``, ``isalnum``,
   ``isspace``, ``isdecimal``, ``isnumeric``: each is "every character is, and at least
   one": the ``or not S`` keeps the loop's True for an empty string);
5. find: ``for i, c in enumerate(S): if c == "x": return i`` followed by ``return -1``
   becomes ``return S.find("x")`` for a one-character ``"x"``.

Built-ins the rewrite relies on (``sum``, ``map``, ``enumerate``, ``str``) must not be
rebound in the module, and the function declares no ``global``/``nonlocal``.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import function_facts, qualified_functions

_CLASS_TESTS = frozenset({"isdigit", "isalpha", "isalnum", "isspace", "isdecimal", "isnumeric"})
_MAPS = frozenset({"upper", "casefold"})


def rewrite(module: cst.Module, observed=None) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"sum", "map", "enumerate", "str"} & shadowed:
        return module
    observed = observed or {}
    qualified = {id(func): name for name, func in qualified_functions(module)}
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualified.get(id(func), ""), {}))
        strs = ct.str_names(func, facts.type_of, facts.rebound, shadowed)
        for block in (n for n in ct.own_nodes(func) if isinstance(n, cst.IndentedBlock)):
            body = list(block.body)
            for before, loop, after in zip([None, *body[:-1]], body, [*body[1:], None], strict=True):
                if _char_loop(func, loop, strs, shadowed):
                    mapping.update(_plan(before, loop, after))
    return ct.replace_nodes(module, mapping) if mapping else module


def _char_loop(func, loop, strs: set[str], shadowed: set[str]) -> bool:
    """``loop`` is ``for c in S`` (or ``for i, c in enumerate(S)``) over a proven str,
    with loop variables bound only there and unread after it."""
    if not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
        return False
    source = _source(loop)
    if source is None or not ct.is_str_expr(source, strs, shadowed):
        return False
    return all(_loop_local(func, name) for name in ct.target_names(loop.target))


def _loop_local(func: cst.FunctionDef, name: str) -> bool:
    """``name`` is bound only as a ``for`` target and read only inside the body of a loop
    that binds it: removing one such loop changes no read of it."""
    loops = [n for n in ct.walk(func) if isinstance(n, cst.For) and name in ct.target_names(n.target)]
    if ct.binding_count(func, name) != len(loops):
        return False
    inside = {id(n) for loop in loops for part in (loop.target, loop.body) for n in ct.walk(part)}
    return all(id(ref) in inside for ref in ct.name_refs(func, name))


def _source(loop: cst.For) -> cst.BaseExpression | None:
    if isinstance(loop.target, cst.Name):
        return loop.iter
    enumerated = m.Call(func=m.Name("enumerate"), args=[m.Arg(keyword=None, star="")])
    pair = m.Tuple(elements=[m.Element(m.Name()), m.Element(m.Name())])
    if m.matches(loop.iter, enumerated) and m.matches(loop.target, pair):
        return loop.iter.args[0].value
    return None


def _plan(before, loop: cst.For, after) -> dict[int, object]:
    for shape in (_count, _mapped, _replaced) if before is not None else ():
        found = shape(before, loop)
        if found is not None:
            return {id(before): found, id(loop): cst.RemovalSentinel.REMOVE}
    for shape in (_all_of_class, _find) if after is not None else ():
        found = shape(loop, after)
        if found is not None:
            return {id(loop): cst.RemovalSentinel.REMOVE, id(after): found}
    return {}


def _only(suite) -> cst.BaseStatement | None:
    body = suite.body if isinstance(suite, cst.IndentedBlock) else None
    return body[0] if body and len(body) == 1 else None


def _small(stmt) -> cst.BaseSmallStatement | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        return stmt.body[0]
    return None


def _text(expr) -> str | None:
    """The value of a plain (non-bytes, non-f) string literal."""
    if isinstance(expr, cst.SimpleString) and "b" not in expr.prefix.lower():
        return expr.evaluated_value
    return None


def _char_test(test, char: str) -> cst.SimpleString | None:
    """The one-character literal ``"x"`` of ``char == "x"`` / ``"x" == char``."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return None
    for left, right in ((test.left, target.comparator), (target.comparator, test.left)):
        value = _text(right)
        if m.matches(left, m.Name(char)) and value is not None and len(value) == 1:
            return right
    return None


def _init(before, value_ok) -> str | None:
    """The name of ``name = <literal>`` when ``value_ok(literal)``."""
    small = _small(before)
    if m.matches(small, m.Assign(targets=[m.AssignTarget(m.Name())])) and value_ok(small.value):
        return small.targets[0].target.value
    return None


def _receiver(expr: cst.BaseExpression) -> cst.BaseExpression:
    atomic = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString)
    if isinstance(expr, atomic) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _method(source, method: str, *args: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Attribute(_receiver(source), cst.Name(method)), args=[cst.Arg(a) for a in args])


def _assign(name: str, value: cst.BaseExpression, *keep: cst.BaseStatement) -> cst.SimpleStatementLine:
    lines = [line for stmt in keep for line in stmt.leading_lines]
    return cst.SimpleStatementLine(body=[cst.Assign([cst.AssignTarget(cst.Name(name))], value)], leading_lines=lines)


def _count(before, loop: cst.For):
    name = _init(before, lambda v: isinstance(v, cst.Integer))
    stmt = _only(loop.body)
    if name is None or not isinstance(loop.target, cst.Name) or not isinstance(stmt, cst.If) or stmt.orelse:
        return None
    char = loop.target.value
    if name == char or not m.matches(_small(_only(stmt.body)), m.AugAssign(m.Name(name), m.AddAssign(), m.Integer("1"))):
        return None
    literal = _char_test(stmt.test, char)
    if literal is not None:
        counted = _method(loop.iter, "count", literal)
    else:
        literal = _membership_literal(stmt.test, char)
        if literal is None:
            return None
        count = cst.Attribute(_receiver(loop.iter), cst.Name("count"))
        counted = cst.Call(cst.Name("sum"), [cst.Arg(cst.Call(cst.Name("map"), [cst.Arg(count), cst.Arg(literal)]))])
    start = before.body[0].value
    value = counted if start.value == "0" else cst.BinaryOperation(start, cst.Add(), counted)
    return _assign(name, value, before, loop)


def _membership_literal(test, char: str) -> cst.SimpleString | None:
    """``"aeiou"`` of ``char in "aeiou"`` when its characters are distinct."""
    if not m.matches(test, m.Comparison(left=m.Name(char), comparisons=[m.ComparisonTarget(m.In())])):
        return None
    literal = test.comparisons[0].comparator
    value = _text(literal)
    return literal if value is not None and len(set(value)) == len(value) else None


def _is_empty_text(value) -> bool:
    return _text(value) == ""


def _grows(stmt, name: str) -> cst.BaseExpression | None:
    """``p`` of ``name += p`` or ``name = name + p``."""
    small = _small(stmt)
    if m.matches(small, m.AugAssign(m.Name(name), m.AddAssign())):
        return small.value
    if m.matches(small, m.Assign([m.AssignTarget(m.Name(name))], m.BinaryOperation(m.Name(name), m.Add()))):
        return small.value.right
    return None


def _mapped(before, loop: cst.For):
    name = _init(before, _is_empty_text)
    if name is None or not isinstance(loop.target, cst.Name):
        return None
    piece = _grows(_only(loop.body), name)
    char = loop.target.value
    pattern = m.Call(func=m.Attribute(m.Name(char), m.Name()), args=[])
    if piece is None or not m.matches(piece, pattern) or piece.func.attr.value not in _MAPS:
        return None
    return _assign(name, _method(loop.iter, piece.func.attr.value), before, loop)


def _replaced(before, loop: cst.For):
    name = _init(before, _is_empty_text)
    stmt = _only(loop.body)
    if name is None or not isinstance(loop.target, cst.Name) or not isinstance(stmt, cst.If):
        return None
    char = loop.target.value
    literal = _char_test(stmt.test, char)
    if literal is None or not isinstance(stmt.orelse, cst.Else):
        return None
    new, kept = _grows(_only(stmt.body), name), _grows(_only(stmt.orelse.body), name)
    if _text(new) is None or not m.matches(kept, m.Name(char)):
        return None
    return _assign(name, _method(loop.iter, "replace", literal, new), before, loop)


def _returns(stmt, value) -> bool:
    return m.matches(_small(stmt), m.Return(value=value))


def _with_lines(stmt: cst.SimpleStatementLine, *keep: cst.BaseStatement) -> cst.SimpleStatementLine:
    return stmt.with_changes(leading_lines=[line for s in keep for line in s.leading_lines])


def _all_of_class(loop: cst.For, after):
    stmt = _only(loop.body)
    if not isinstance(loop.target, cst.Name) or not isinstance(stmt, cst.If) or stmt.orelse:
        return None
    if not _returns(after, m.Name("True")) or not _returns(_only(stmt.body), m.Name("False")):
        return None
    test = m.UnaryOperation(m.Not(), m.Call(func=m.Attribute(m.Name(loop.target.value), m.Name()), args=[]))
    if not m.matches(stmt.test, test):
        return None
    method = stmt.test.expression.func.attr.value
    if method not in _CLASS_TESTS:
        return None
    empty = cst.UnaryOperation(cst.Not(), _receiver(loop.iter))
    value = cst.BooleanOperation(_method(loop.iter, method), cst.Or(), empty)
    return _with_lines(cst.SimpleStatementLine([cst.Return(value)]), loop, after)


def _find(loop: cst.For, after):
    stmt = _only(loop.body)
    if isinstance(loop.target, cst.Name) or not isinstance(stmt, cst.If) or stmt.orelse:
        return None
    index, char = (e.value.value for e in loop.target.elements)
    literal = _char_test(stmt.test, char)
    minus_one = m.UnaryOperation(m.Minus(), m.Integer("1"))
    if literal is None or not _returns(after, minus_one) or not _returns(_only(stmt.body), m.Name(index)):
        return None
    value = _method(loop.iter.args[0].value, "find", literal)
    return _with_lines(cst.SimpleStatementLine([cst.Return(value)]), loop, after)
