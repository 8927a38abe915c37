"""Replace sums of simple series over a ``range`` with their exact closed forms.

Rewritten shapes, for ``range(B)`` or ``range(A, B)`` (step 1):

* ``sum(range(...))``, ``sum(i for i in range(...))``, ``sum(i * i for ...)`` /
  ``i ** 2``, ``sum(i for i in range(B) if i % K == 0)`` become
  ``(FORMULA if B > A else 0)``;
* ``t = <int literal>`` immediately followed by ``for i in range(...): t += TERM`` (or
  ``t = t + TERM``, ``t = TERM + t``; also under a single ``if i % K == 0:``) becomes
  ``if B > A: t += FORMULA``, the initial statement kept.

The formulas are polynomial identities over the integers (``P(B) - P(A)`` with
``P(n) = n(n-1)/2`` or ``(n-1)n(2n-1)/6``), exact for every int, negative bounds
included, and divided with ``//`` only where the division is exact; multiples of ``K``
are supported for ``range(B)`` only: ``K * ceil(B/K) * floor((B-1)/K) // 2``.

Preconditions, proven from the code and the facts:

1. ``A``, ``B`` are int literals, names whose type is ``int``/``bool`` (observed, hinted,
   or range loop variables: :func:`typed_names`), ``len(name)``, or ``+ - *`` over those
   (``n + 1``: :func:`int_arith_operand`, parenthesized in the formula): ints, pure and
   cheap to evaluate more than once; ``K`` is a positive int literal;
2. the term is exactly the loop variable or its square; the filter exactly
   ``i % K == 0``; the generator has one ``for`` and at most that one ``if``;
3. the loop body is that one statement (no else), the accumulator starts at an int
   literal (so adding the int formula gives the same int as adding term by term), is not
   the loop variable, and the loop variable is referred to nowhere else in the function;
4. ``sum``, ``range`` and ``len`` are not bound anywhere in the module.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import qualified_functions, typed_names


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"sum", "range", "len"} & shadowed:
        return module
    mapping: dict[int, cst.CSTNode] = {}
    for qualname, func in qualified_functions(module):
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        for node in ct.own_nodes(func):
            if isinstance(node, cst.Call):
                new = _sum_call(node, types)
                if new is not None:
                    mapping[id(node)] = new
        for block in ct.own_blocks(func):
            body = list(block.body)
            for init, loop in zip(body, body[1:], strict=False):
                new = _loop(init, loop, types, func)
                if new is not None:
                    mapping[id(loop)] = new.with_changes(leading_lines=loop.leading_lines)
    return ct.replace_nodes(module, mapping) if mapping else module


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _bounds(iterator, types) -> tuple[str, str] | None:
    """(A, B) of ``range(B)`` / ``range(A, B)`` with int operands, as code."""
    if not ct.is_call_to(iterator, "range") or not 1 <= len(iterator.args) <= 2:
        return None
    if any(a.keyword is not None or a.star != "" for a in iterator.args):
        return None
    values = [a.value for a in iterator.args]
    if not all(ct.int_arith_operand(v, types) for v in values):
        return None
    codes = [_code(v) if isinstance(v, cst.Name | cst.Integer | cst.Call) else f"({_code(v)})" for v in values]
    return ("0", codes[0]) if len(codes) == 1 else (codes[0], codes[1])


def _term_kind(term, var: str) -> str | None:
    if m.matches(term, m.Name(var)):
        return "linear"
    square = (m.BinaryOperation(m.Name(var), m.Multiply(), m.Name(var))
              | m.BinaryOperation(m.Name(var), m.Power(), m.Integer("2")))
    return "square" if m.matches(term, square) else None


def _modulus(test, var: str) -> str | None:
    """``K`` of the filter ``var % K == 0`` with a positive int literal ``K``."""
    pattern = m.Comparison(left=m.BinaryOperation(m.Name(var), m.Modulo(), m.Integer()),
                           comparisons=[m.ComparisonTarget(m.Equal(), m.Integer("0"))])
    if not m.matches(test, pattern):
        return None
    k = test.left.right
    return k.value if int(k.value, 0) > 0 else None


def _formula(kind: str, low: str, high: str, k: str | None) -> tuple[str, str] | None:
    """(closed form, condition for a non-empty range), as code."""
    test = f"{high} > 0" if low == "0" else f"{high} > {low}"
    if k is not None:
        if kind != "linear" or low != "0":
            return None
        return f"{k} * (({high} + {k} - 1) // {k}) * (({high} - 1) // {k}) // 2", test
    if kind == "linear":
        form = f"{high} * ({high} - 1) // 2" if low == "0" else f"({low} + {high} - 1) * ({high} - {low}) // 2"
        return form, test

    def cube(n: str) -> str:
        return f"({n} - 1) * {n} * (2 * {n} - 1)"
    return (f"{cube(high)} // 6" if low == "0" else f"({cube(high)} - {cube(low)}) // 6"), test


def _sum_call(call: cst.Call, types) -> cst.BaseExpression | None:
    if not ct.is_call_to(call, "sum") or len(call.args) != 1:
        return None
    arg = call.args[0]
    if arg.keyword is not None or arg.star != "":
        return None
    found = _series(arg.value, types)
    if found is None:
        return None
    form, test = found
    return cst.parse_expression(f"({form} if {test} else 0)")


def _series(value, types) -> tuple[str, str] | None:
    bounds = _bounds(value, types)
    if bounds is not None:
        return _formula("linear", *bounds, None)
    if not isinstance(value, cst.GeneratorExp) or value.for_in.inner_for_in is not None:
        return None
    comp = value.for_in
    if not isinstance(comp.target, cst.Name) or comp.asynchronous is not None or len(comp.ifs) > 1:
        return None
    var = comp.target.value
    kind, bounds = _term_kind(value.elt, var), _bounds(comp.iter, types)
    k = _modulus(comp.ifs[0].test, var) if comp.ifs else None
    if kind is None or bounds is None or (comp.ifs and k is None) or var in _names(comp.iter):
        return None
    return _formula(kind, *bounds, k)


def _names(node) -> set[str]:
    return {n.value for n in ct.walk(node) if isinstance(n, cst.Name)}


def _added(step, accumulator: str):
    """TERM of ``acc += TERM``, ``acc = acc + TERM`` or ``acc = TERM + acc``."""
    if isinstance(step, cst.AugAssign):
        ok = isinstance(step.operator, cst.AddAssign) and m.matches(step.target, m.Name(accumulator))
        return step.value if ok else None
    if not isinstance(step, cst.Assign) or len(step.targets) != 1:
        return None
    if not m.matches(step.targets[0].target, m.Name(accumulator)):
        return None
    value = step.value
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Add):
        return None
    if m.matches(value.left, m.Name(accumulator)):
        return value.right
    return value.left if m.matches(value.right, m.Name(accumulator)) else None


def _loop(init, loop, types, func) -> cst.BaseStatement | None:
    pattern = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Integer())])
    if not m.matches(init, pattern) or not isinstance(loop, cst.For) or loop.orelse is not None:
        return None
    if not isinstance(loop.target, cst.Name) or not isinstance(loop.body, cst.IndentedBlock):
        return None
    accumulator, var = init.body[0].targets[0].target.value, loop.target.value
    if len(loop.body.body) != 1 or accumulator == var or ct.read_outside(func, var, loop):
        return None
    statement, k = loop.body.body[0], None
    if isinstance(statement, cst.If) and statement.orelse is None and isinstance(statement.body, cst.IndentedBlock):
        k = _modulus(statement.test, var)
        if k is None or len(statement.body.body) != 1:
            return None
        statement = statement.body.body[0]
    if not m.matches(statement, m.SimpleStatementLine(body=[m.Assign() | m.AugAssign()])):
        return None
    term = _added(statement.body[0], accumulator)
    kind, bounds = _term_kind(term, var) if term is not None else None, _bounds(loop.iter, types)
    if kind is None or bounds is None or var in _names(loop.iter) or accumulator in _names(loop.iter):
        return None
    found = _formula(kind, *bounds, k)
    if found is None:
        return None
    form, test = found
    return cst.parse_statement(f"if {test}:\n    {accumulator} += {form}\n")
