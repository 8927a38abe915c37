"""Replace hand-written integer loops with ``pow(b, e, m)``, ``math.factorial`` and ``math.prod``.

Three statement pairs are rewritten, each an initialisation immediately followed by a
``for`` loop whose body is one statement (no ``else``):

* modular power: ``r = 1`` (or ``r = 1 % m``) then ``for _ in range(e): r = r * b % m``
  (also ``(r * b) % m``, ``b * r % m``) becomes ``if e > 0: r = pow(b, e, m)`` (a plain
  ``r = pow(b, e, m)`` when ``e`` is a non-negative literal);
* factorial: ``f = 1`` then ``for i in range(1, n + 1): f *= i`` (or ``range(2, n + 1)``,
  ``f = f * i``, ``f = i * f``) becomes ``if n > 0: f = math.factorial(n)``;
* product: ``p = 1`` then ``for x in xs: p *= x`` (or ``p = p * x``, ``p = x * p``) becomes
  ``p = math.prod(xs)``.

and a Euclid loop ``while b: a, b = b, a % b`` (or ``while b != 0``/``while b > 0``) becomes
``if a >= 0 and b >= 0: a, b = math.gcd(a, b), 0`` with the loop kept under ``else``
(Euclid's remainders follow the sign of ``b`` for negative operands, ``math.gcd`` does not).

The initialisation statement is kept, so ``r``/``f``/``p`` hold exactly the values they
held before for every input, including the loop running zero times.

Preconditions, proven from the code and the facts (:func:`typed_names`: observed runtime
types, else annotations, else literals and ``range`` loop variables):

1. ``b``, ``e``, ``m`` / ``n`` are names or int literals of type ``int`` (or ``bool``):
   ``pow`` with three arguments rejects floats where ``*``/``%`` accept them; for
   the product, ``xs``' elements are ``int``/``bool``/``float`` (math.prod multiplies left
   to right from 1, exactly as the loop does, with the same IEEE operations);
2. with ``r = 1`` the modulus is a non-zero int literal (``pow(b, e, 0)`` raises
   ValueError where the loop raises ZeroDivisionError); ``r = 1 % m`` already raises for
   ``m == 0`` before the loop;
3. the accumulator is none of the other operands; the loop variable is read nowhere else
   in the function (removing the loop must not unbind a name used later), and, for the
   modular power, not in the body;
4. ``pow``, ``range`` are not bound anywhere in the module, and ``math`` only by a
   top-level ``import math`` (added when missing).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    function_facts,
    is_numeric_type,
    qualified_functions,
    typed_names,
)

_INTS = ("int", "bool")


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"pow", "range"} & shadowed:
        return module
    math_imported = ct.imported_modules(module).get("math") == "math"
    math_free = ct.binding_count(module, "math") == (1 if math_imported else 0)
    mapping: dict[int, object] = {}
    uses_math = False
    for qualname, func in qualified_functions(module):
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        for block in ct.own_blocks(func):
            body = list(block.body)
            for loop in body:
                new_gcd = _gcd(loop, _euclid_types(func, observed.get(qualname, {}), types)) if math_free else None
                if new_gcd is not None:
                    mapping[id(loop)] = new_gcd
                    uses_math = True
            for init, loop in zip(body, body[1:], strict=False):
                new = _rewrite_pair(init, loop, types, func)
                if new is None or (new[1] and not math_free):
                    continue
                mapping[id(loop)] = new[0].with_changes(leading_lines=loop.leading_lines)
                uses_math |= new[1]
    if not mapping:
        return module
    result = ct.replace_nodes(module, mapping)
    return ct.add_import(result, "import math") if uses_math else result


def _rewrite_pair(init, loop, types, func) -> tuple[cst.BaseStatement, bool] | None:
    """The statement replacing ``loop`` and whether it needs ``math``, or None."""
    accumulator = _init_name(init)
    if accumulator is None or not _simple_loop(loop):
        return None
    step = loop.body.body[0].body[0]
    target = loop.target.value
    if ct.read_outside(func, target, loop) or accumulator == target:
        return None
    init_value = init.body[0].value
    for build in (_modpow, _factorial, _product):
        new = build(accumulator, init_value, loop, step, types)
        if new is not None:
            return new
    return None


def _euclid_types(func: cst.FunctionDef, observed, types) -> dict[str, str]:
    """``types`` plus int parameters whose only rebinding is one ``a, b = b, a % b``: ints
    stay ints through it, so they are ints whenever the Euclid loop tests them."""
    facts = function_facts(func, observed)
    swaps = [n for n in ct.walk(func.body) if isinstance(n, cst.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0].target, cst.Tuple)]
    out = dict(types)
    for name in facts.params:
        if (name not in out and facts.type_of(name) in _INTS and name not in facts.global_names
                and ct.binding_count(func, name) == 2 and len(swaps) == 1
                and name in ct.target_names(swaps[0].targets[0].target)):
            out[name] = facts.type_of(name)
    return out


def _gcd(loop, types) -> cst.If | None:
    """``while b: a, b = b, a % b`` (or ``while b != 0`` / ``while b > 0``) over ints, as
    ``math.gcd`` for non-negative operands and the loop itself otherwise."""
    if not isinstance(loop, cst.While) or loop.orelse is not None or not isinstance(loop.body, cst.IndentedBlock):
        return None
    step = m.SimpleStatementLine([m.Assign(
        [m.AssignTarget(m.Tuple([m.Element(m.Name()), m.Element(m.Name())]))],
        m.Tuple([m.Element(m.Name()), m.Element(m.BinaryOperation(m.Name(), m.Modulo(), m.Name()))]))])
    if len(loop.body.body) != 1 or not m.matches(loop.body.body[0], step):
        return None
    assign = loop.body.body[0].body[0]
    a, b = (e.value.value for e in assign.targets[0].target.elements)
    first, rest = assign.value.elements
    if a == b or not (m.matches(first.value, m.Name(b)) and m.matches(rest.value.left, m.Name(a))
                      and m.matches(rest.value.right, m.Name(b))):
        return None
    tests = m.Name(b) | m.Comparison(m.Name(b), [m.ComparisonTarget(m.NotEqual() | m.GreaterThan(), m.Integer("0"))])
    # bools excluded: gcd(True, 0) is 1 where the loop leaves True
    if not m.matches(loop.test, tests) or types.get(a) != "int" or types.get(b) != "int":
        return None
    new = cst.parse_statement(f"if {a} >= 0 and {b} >= 0:\n    {a}, {b} = math.gcd({a}, {b}), 0\nelse:\n    pass\n")
    orelse = new.orelse.with_changes(body=new.orelse.body.with_changes(body=[loop.with_changes(leading_lines=[])]))
    return new.with_changes(orelse=orelse, leading_lines=loop.leading_lines)


def _init_name(init) -> str | None:
    if m.matches(init, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])):
        return init.body[0].targets[0].target.value
    return None


def _simple_loop(loop) -> bool:
    return (isinstance(loop, cst.For) and loop.orelse is None and loop.asynchronous is None
            and isinstance(loop.target, cst.Name) and isinstance(loop.body, cst.IndentedBlock)
            and len(loop.body.body) == 1
            and m.matches(loop.body.body[0], m.SimpleStatementLine(body=[m.Assign() | m.AugAssign()])))


def _is_int(expr: cst.BaseExpression, types) -> bool:
    if isinstance(expr, cst.Integer):
        return True
    return isinstance(expr, cst.Name) and types.get(expr.value) in _INTS


def _product_of(expr, accumulator: str) -> cst.BaseExpression | None:
    """``expr`` is ``acc * X`` or ``X * acc`` (parentheses allowed): return X."""
    if not isinstance(expr, cst.BinaryOperation) or not isinstance(expr.operator, cst.Multiply):
        return None
    if m.matches(expr.left, m.Name(accumulator)):
        return expr.right
    if m.matches(expr.right, m.Name(accumulator)):
        return expr.left
    return None


def _multiplied_by(step, accumulator: str) -> cst.BaseExpression | None:
    """``acc *= X``, ``acc = acc * X`` or ``acc = X * acc``: return X."""
    if isinstance(step, cst.AugAssign):
        if isinstance(step.operator, cst.MultiplyAssign) and m.matches(step.target, m.Name(accumulator)):
            return step.value
        return None
    if len(step.targets) != 1 or not m.matches(step.targets[0].target, m.Name(accumulator)):
        return None
    return _product_of(step.value, accumulator)


def _modpow(accumulator, init_value, loop, step, types):
    if not isinstance(step, cst.Assign) or len(step.targets) != 1:
        return None
    if not m.matches(step.targets[0].target, m.Name(accumulator)):
        return None
    value = step.value
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Modulo):
        return None
    base, modulus = _product_of(value.left, accumulator), value.right
    exponent = _range_stop(loop.iter, start=0)
    if base is None or exponent is None or not all(_is_int(e, types) for e in (base, modulus, exponent)):
        return None
    operands = {accumulator, loop.target.value}
    if any(isinstance(e, cst.Name) and e.value in operands for e in (base, modulus, exponent)):
        return None
    if not _init_ok(init_value, modulus):
        return None
    call = _call("pow", [base, exponent, modulus])
    return _guarded(accumulator, call, exponent, literal_ok=True), False


def _init_ok(init_value, modulus) -> bool:
    if m.matches(init_value, m.Integer("1")):
        return isinstance(modulus, cst.Integer) and int(modulus.value, 0) != 0
    return (m.matches(init_value, m.BinaryOperation(m.Integer("1"), m.Modulo()))
            and isinstance(modulus, cst.Name) and m.matches(init_value.right, m.Name(modulus.value)))


def _factorial(accumulator, init_value, loop, step, types):
    if not m.matches(init_value, m.Integer("1")):
        return None
    factor = _multiplied_by(step, accumulator)
    if factor is None or not m.matches(factor, m.Name(loop.target.value)):
        return None
    iterator = loop.iter
    if not (ct.is_call_to(iterator, "range") and len(iterator.args) == 2
            and all(a.keyword is None and a.star == "" for a in iterator.args)
            and m.matches(iterator.args[0].value, m.Integer("1") | m.Integer("2"))):
        return None
    stop = iterator.args[1].value
    if not m.matches(stop, m.BinaryOperation(m.Name(), m.Add(), m.Integer("1"))):
        return None
    bound = stop.left
    if not _is_int(bound, types) or bound.value in (accumulator, loop.target.value):
        return None
    call = cst.parse_expression("math.factorial(x)").with_changes(args=[cst.Arg(bound)])
    return _guarded(accumulator, call, bound, literal_ok=False), True


def _product(accumulator, init_value, loop, step, types):
    if not m.matches(init_value, m.Integer("1")):
        return None
    factor = _multiplied_by(step, accumulator)
    if factor is None or not m.matches(factor, m.Name(loop.target.value)):
        return None
    if not isinstance(loop.iter, cst.Name) or loop.iter.value == accumulator:
        return None
    if not is_numeric_type(element_type(types.get(loop.iter.value))):
        return None
    call = cst.parse_expression("math.prod(x)").with_changes(args=[cst.Arg(loop.iter)])
    return _assign(accumulator, call), True


def _range_stop(iterator, start: int) -> cst.BaseExpression | None:
    """``E`` of ``range(E)`` (a single positional argument)."""
    if ct.is_call_to(iterator, "range") and len(iterator.args) == 1:
        arg = iterator.args[0]
        if arg.keyword is None and arg.star == "":
            return arg.value
    return None


def _call(name: str, args: list[cst.BaseExpression]) -> cst.Call:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return cst.Call(cst.Name(name), [cst.Arg(a, comma=comma if i < len(args) - 1 else cst.MaybeSentinel.DEFAULT)
                                     for i, a in enumerate(args)])


def _assign(accumulator: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(accumulator))], value)])


def _guarded(accumulator, value, count, literal_ok: bool) -> cst.BaseStatement:
    """``acc = value``, under ``if count > 0:`` unless ``count`` is a literal >= 0 (the
    loop ran zero times for ``count <= 0``, leaving the initial value)."""
    if literal_ok and isinstance(count, cst.Integer):
        return _assign(accumulator, value)
    test = cst.Comparison(count, [cst.ComparisonTarget(cst.GreaterThan(), cst.Integer("0"))])
    return cst.If(test=test, body=cst.IndentedBlock([_assign(accumulator, value)]))
