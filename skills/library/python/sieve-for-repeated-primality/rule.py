"""Answer many trial-division primality tests from one Sieve of Eratosthenes.

A module-level ``P(x)`` proven to be a trial-division primality test (below) that is
called as ``P(v)`` where ``v`` is the variable of an enclosing loop or comprehension over
``range(...)`` or over a list of ints gets, right before the statement holding that loop,
``prime_flags = _prime_flags(LIMIT)`` (LIMIT: the range's stop, or ``max(xs, default=-1) + 1``),
and the call becomes ``(prime_flags[v] == 1 if 0 <= v < len(prime_flags) else P(v))``.
The bounds check keeps every answer exact whatever LIMIT is: the sieve (capped at 10**7
entries, so memory stays bounded) answers inside it, the original function outside.

``P`` is accepted when its body is one of these, for its single parameter ``x`` and a
divisor ``d``: a guard ``if x < 2: return False`` (or ``x <= 1``); optionally
``if x == 2: return True`` / ``if x < 4: return True`` with ``if x % 2 == 0: return False``,
then odd divisors only; a divisor loop ``for d in range(S, B[, 2]): if x % d == 0: return
False`` or ``d = S`` / ``while d * d <= x: ...; d += 1`` (or ``2``), with ``B`` one of ``x``,
``int(x ** 0.5) + 1``, ``int(math.sqrt(x)) + 1``, ``math.isqrt(x) + 1``; and ``return True``.
Each answers "is x prime" exactly for ints below the cap (float square roots are exact
enough there: ``int(x ** 0.5) >= isqrt(x)`` for x < 2**53).

Preconditions, proven from the code and the facts:

1. ``P`` is bound once in the module (no decorator, one plain parameter);
2. ``v`` is bound once in its function, by that loop, whose iterable is ``range(B)`` /
   ``range(A, B)`` with int operands (:func:`int_operand`) or a never-changed name of
   element type ``int`` (:func:`typed_names`), so LIMIT is an int computed without error;
3. the statement receiving the sieve binds none of LIMIT's names before the loop reads
   them (for a ``for`` statement only its iterable counts: it is evaluated first);
4. ``prime_flags``, ``_prime_flags`` (unless it is this rule's helper), ``max``, ``min``,
   ``len``, ``range``, ``bytes``, ``bytearray`` are not otherwise bound in the module;
   calls not inside a nested function or lambda.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import function_facts, qualified_functions, typed_names

HELPER = '''def _prime_flags(limit):
    """flags[x] == 1 exactly when x is prime, for 0 <= x < len(flags) (at most 10**7)."""
    limit = max(0, min(limit, 10**7))
    flags = bytearray([1]) * limit
    flags[:2] = bytes(min(2, limit))
    p = 2
    while p * p < limit:
        if flags[p]:
            flags[p * p :: p] = bytes(len(range(p * p, limit, p)))
        p += 1
    return flags
'''
_HELPER, _FLAGS = "_prime_flags", "prime_flags"
_BUILTINS = {"max", "min", "len", "range", "bytes", "bytearray"}
_FALSE, _TRUE = m.Return(m.Name("False")), m.Return(m.Name("True"))


def _line(statement) -> cst.CSTNode | None:
    """The small statement of a one-statement line or one-statement block, else None."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        return statement.body[0]
    return None


def _if_returns(statement, test, result) -> bool:
    """``if TEST: return RESULT`` (a one-statement body, no else)."""
    if not isinstance(statement, cst.If) or statement.orelse is not None or not m.matches(statement.test, test):
        return False
    body = statement.body.body
    only = body[0] if len(body) == 1 else None
    if isinstance(statement.body, cst.IndentedBlock):
        only = _line(only) if only is not None else None
    return only is not None and m.matches(only, result)


def _divides(x: str, d: str):
    return m.Comparison(m.BinaryOperation(m.Name(x), m.Modulo(), m.Name(d)),
                        [m.ComparisonTarget(m.Equal(), m.Integer("0"))])


def _sqrt_bound(expr, x: str) -> bool:
    """``x``, ``int(x ** 0.5) + 1``, ``int(math.sqrt(x)) + 1`` or ``math.isqrt(x) + 1``."""
    if m.matches(expr, m.Name(x)):
        return True
    arg = [m.Arg(m.Name(x), keyword=None, star="")]
    root = (m.Call(m.Name("int"), [m.Arg(m.BinaryOperation(m.Name(x), m.Power(), m.Float("0.5")), keyword=None)])
            | m.Call(m.Name("int"), [m.Arg(m.Call(m.Attribute(m.Name("math"), m.Name("sqrt")), arg), keyword=None)])
            | m.Call(m.Attribute(m.Name("math"), m.Name("isqrt")), arg))
    return m.matches(expr, m.BinaryOperation(root, m.Add(), m.Integer("1")))


def _divisor_loop(statements, x: str, start: str, step: str) -> bool:
    """The statements are a divisor loop from ``start`` by ``step``, then ``return True``."""
    if len(statements) == 2 and isinstance(statements[0], cst.For):
        loop = statements[0]
        rng = loop.iter
        if (loop.orelse is not None or not isinstance(loop.target, cst.Name) or not ct.is_call_to(rng, "range")
                or not 2 <= len(rng.args) <= 3 or any(a.keyword is not None or a.star for a in rng.args)):
            return False
        d = loop.target.value
        step_ok = m.matches(rng.args[2].value, m.Integer(step)) if len(rng.args) == 3 else step == "1"
        return (step_ok and m.matches(rng.args[0].value, m.Integer(start)) and _sqrt_bound(rng.args[1].value, x)
                and len(loop.body.body) == 1 and _if_returns(loop.body.body[0], _divides(x, d), _FALSE)
                and m.matches(_line(statements[1]), _TRUE) and d != x)
    if len(statements) != 3 or not isinstance(statements[1], cst.While) or statements[1].orelse is not None:
        return False
    init, loop = _line(statements[0]), statements[1]
    if not m.matches(init, m.Assign([m.AssignTarget(m.Name())], m.Integer(start))):
        return False
    d = init.targets[0].target.value
    square = m.Comparison(m.BinaryOperation(m.Name(d), m.Multiply(), m.Name(d)),
                          [m.ComparisonTarget(m.LessThanEqual(), m.Name(x))])
    body = loop.body.body
    return (d != x and m.matches(loop.test, square) and len(body) == 2 and _if_returns(body[0], _divides(x, d), _FALSE)
            and m.matches(_line(body[1]), m.AugAssign(m.Name(d), m.AddAssign(), m.Integer(step)))
            and m.matches(_line(statements[2]), _TRUE))


def is_primality_test(func: cst.FunctionDef) -> bool:
    """``func`` is one of the trial-division primality tests of the module docstring."""
    params = func.params
    if (func.decorators or len(params.params) != 1 or params.star_arg is not cst.MaybeSentinel.DEFAULT
            or params.kwonly_params or params.posonly_params or params.star_kwarg or params.params[0].default):
        return False
    if not isinstance(func.body, cst.IndentedBlock) or func.asynchronous:
        return False
    x = params.params[0].name.value
    body = list(func.body.body)
    small = m.Comparison(m.Name(x), [m.ComparisonTarget(m.LessThan(), m.Integer("2"))]) | m.Comparison(
        m.Name(x), [m.ComparisonTarget(m.LessThanEqual(), m.Integer("1"))])
    if not body or not _if_returns(body[0], small, _FALSE):
        return False
    if _divisor_loop(body[1:], x, "2", "1"):
        return True
    two = m.Comparison(m.Name(x), [m.ComparisonTarget(m.Equal(), m.Integer("2"))]) | m.Comparison(
        m.Name(x), [m.ComparisonTarget(m.LessThan(), m.Integer("4"))])
    even = m.Comparison(m.BinaryOperation(m.Name(x), m.Modulo(), m.Integer("2")),
                        [m.ComparisonTarget(m.Equal(), m.Integer("0"))])
    return (len(body) > 3 and _if_returns(body[1], two, _TRUE) and _if_returns(body[2], even, _FALSE)
            and _divisor_loop(body[3:], x, "3", "2"))


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    own_helper = ct.has_statement(module, HELPER)
    if _BUILTINS & shadowed or _FLAGS in shadowed or (_HELPER in shadowed and not own_helper):
        return module
    tests = {s.name.value for s in module.body if isinstance(s, cst.FunctionDef)
             and ct.binding_count(module, s.name.value) == 1 and is_primality_test(s)}
    if not tests:
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if func.name.value in tests:
            continue
        edit = _edit_function(func, tests, observed.get(qualname, {}), shadowed)
        if edit is not None:
            mapping[id(func)] = edit
    if not mapping:
        return module
    result = ct.replace_nodes(module, mapping)
    return ct.insert_helper(result, HELPER)


def _edit_function(func: cst.FunctionDef, tests: set[str], observed, shadowed: set[str]):
    types = typed_names(func, observed, shadowed)
    facts = function_facts(func, observed)
    parents = ct.parent_map(func)
    calls: dict[int, cst.Call] = {}
    sieves: dict[int, tuple[cst.BaseStatement, str]] = {}
    for node in ct.own_nodes(func):
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in tests
                and len(node.args) == 1 and isinstance(node.args[0].value, cst.Name)
                and node.args[0].keyword is None and not node.args[0].star):
            continue
        found = _loop_of(node, node.args[0].value.value, parents, types, facts)
        if found is None:
            continue
        statement, limit = found
        calls[id(node)] = _lookup(node)
        sieves.setdefault(id(statement), (statement, limit))
    if not calls:
        return None

    def edit(updated: cst.FunctionDef) -> cst.FunctionDef:
        mapping: dict[int, object] = dict(calls)
        for key, (_, limit) in sieves.items():
            line = cst.parse_statement(f"{_FLAGS} = {_HELPER}({limit})\n")

            def prepend(node, line=line):
                moved = node.with_changes(leading_lines=[])
                return cst.FlattenSentinel([line.with_changes(leading_lines=node.leading_lines), moved])
            mapping[key] = prepend
        return updated.with_changes(body=ct.replace_nodes(func.body, mapping))

    return edit


def _loop_of(call, v: str, parents, types, facts) -> tuple[cst.BaseStatement, str] | None:
    """(the statement that receives the sieve, LIMIT as code) for ``P(v)``, or None."""
    node, loop = call, None
    while id(node) in parents:
        node = parents[id(node)]
        loop = _binding_loop(node, v)
        if loop is not None:
            break
    if loop is None or types.get(v) != "int" or id(call) in {id(n) for n in ct.walk(loop.iter)}:
        return None  # a call in the loop's own iterable sees another ``v``
    limit, names = _limit(loop.iter, types, facts)
    if limit is None:
        return None
    statement = loop
    while not isinstance(parents.get(id(statement)), cst.IndentedBlock):
        statement = parents.get(id(statement))
        if statement is None:
            return None
    part = statement.iter if statement is loop else statement
    bound = ct.collect(part).bound | {n.target.value for n in ct.walk(part)
                                      if isinstance(n, cst.NamedExpr) and isinstance(n.target, cst.Name)}
    return None if bound & names else (statement, limit)


def _binding_loop(node, v: str) -> cst.For | cst.CompFor | None:
    """``node`` itself, or the ``for`` clause of the comprehension ``node``, when it binds ``v``."""
    if isinstance(node, cst.For) and m.matches(node.target, m.Name(v)):
        return node
    comp = node.for_in if isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) else None
    while comp is not None:
        if m.matches(comp.target, m.Name(v)):
            return comp
        comp = comp.inner_for_in
    return None


def _limit(iterator, types, facts) -> tuple[str | None, set[str]]:
    code = cst.Module([]).code_for_node
    if ct.is_call_to(iterator, "range") and 1 <= len(iterator.args) <= 2:
        args = iterator.args
        if all(a.keyword is None and not a.star and ct.int_operand(a.value, types) for a in args):
            stop = args[-1].value
            return code(stop), {n.value for n in ct.walk(stop) if isinstance(n, cst.Name)}
    if isinstance(iterator, cst.Name) and facts.never_changed(iterator.value):
        description = types.get(iterator.value) or ""
        if description.partition("[")[0] in ("list", "set", "frozenset", "tuple") and description.endswith("[int]"):
            return f"max({iterator.value}, default=-1) + 1", {iterator.value}
    return None, set()


def _lookup(call: cst.Call) -> cst.BaseExpression:
    v = call.args[0].value.value
    new = cst.parse_expression(f"({_FLAGS}[{v}] == 1 if 0 <= {v} < len({_FLAGS}) else P({v}))")
    return new.with_changes(orelse=call)
