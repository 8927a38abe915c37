"""Replace ``key=functools.cmp_to_key(compare)`` with the key ``compare`` compares by.

``sorted(xs, key=functools.cmp_to_key(C))`` (or ``cmp_to_key`` imported from functools,
or ``xs.sort(key=...)``) becomes ``sorted(xs, key=lambda a: (K1(a), -K2(a), ...))`` when
``C(a, b)`` is proven to compare a fixed list of fields in priority order. Each level
is one of, with ``KA = K(a)`` and ``KB`` the same expression of ``b``:

* ``return KA - KB`` (ascending) or ``KB - KA`` (descending), for ints: the sign of the
  difference is the comparison;
* ``return (KA > KB) - (KA < KB)`` (ascending; swapped for descending);
* ``if KA < KB: return -1`` and ``if KA > KB: return 1`` in either order (signs swapped
  for descending), falling through to the next level;

earlier levels guarded by ``if KA != KB: return LEVEL``, the last a ``return LEVEL`` or
``return 0``. ``K`` is the element itself, ``a[i]`` for an int literal ``i``, or
``len(a)`` (only for elements of a sized type: str, bytes, list, tuple, dict, set,
frozenset; the key calls ``len`` on every element, even a lone one cmp never sees).  A stable sort by the tuple key orders equal keys as the comparator's zero
does; descending levels are negated (ints only), or, when every level descends, the key
stays positive and ``reverse=True`` is added (``sorted`` keeps stability under reverse).

Preconditions, proven from the code and the facts:

1. ``C`` is a module-level function bound once, two plain parameters, no decorator;
2. ``xs`` is a name whose element type is known (observed, hinted, typed loop variable):
   every field is then ``int``/``bool`` (required for differences and negation) or
   ``str``/``bytes`` or a tuple of those (totally ordered: no floats, NaN breaks both);
3. the call has only that ``key=`` (no ``reverse``); ``sorted``/``len`` are the built-ins
   and ``functools``/``cmp_to_key`` are bound only by their import.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    is_sized_type,
    qualified_functions,
    split_type,
    typed_names,
)

_INTS = ("int", "bool")
_ORDERED = frozenset({"int", "bool", "str", "bytes"})
_code = cst.Module([]).code_for_node


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"sorted", "len"} & shadowed:
        return module
    comparators = {s.name.value: s for s in module.body if isinstance(s, cst.FunctionDef)
                   and ct.binding_count(module, s.name.value) == 1}
    wrappers = _cmp_to_key_forms(module)
    mapping: dict[int, cst.CSTNode] = {}
    for qualname, func in qualified_functions(module):
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        for node in ct.own_nodes(func):
            if isinstance(node, cst.Call):
                new = _rewrite_sort(node, wrappers, comparators, types)
                if new is not None:
                    mapping[id(node)] = new
    return ct.replace_nodes(module, mapping) if mapping else module


def _cmp_to_key_forms(module: cst.Module):
    """Matchers for the spellings of ``functools.cmp_to_key`` this module binds unambiguously."""
    forms = []
    if ct.imported_modules(module).get("functools") == "functools" and ct.binding_count(module, "functools") == 1:
        forms.append(m.Attribute(m.Name("functools"), m.Name("cmp_to_key")))
    imported = any(m.matches(s, m.SimpleStatementLine([m.ImportFrom(
        module=m.Name("functools"), names=[m.ImportAlias(m.Name("cmp_to_key"), asname=None)])]))
        for s in module.body)
    if imported and ct.binding_count(module, "cmp_to_key") == 1:
        forms.append(m.Name("cmp_to_key"))
    return forms


def _rewrite_sort(call: cst.Call, wrappers, comparators, types) -> cst.Call | None:
    if ct.is_call_to(call, "sorted") and len(call.args) == 2:
        values, key = call.args
        if values.keyword is not None or values.star or not isinstance(values.value, cst.Name):
            return None
        name = values.value.value
    elif m.matches(call.func, m.Attribute(m.Name(), m.Name("sort"))) and len(call.args) == 1:
        key, name = call.args[0], call.func.value.value
        if (types.get(name) or "").partition("[")[0] != "list":
            return None
    else:
        return None
    if not m.matches(key, m.Arg(keyword=m.Name("key"))) or not isinstance(key.value, cst.Call):
        return None
    wrapped = key.value
    if (not any(m.matches(wrapped.func, w) for w in wrappers) or len(wrapped.args) != 1
            or not isinstance(wrapped.args[0].value, cst.Name) or wrapped.args[0].value.value not in comparators):
        return None
    new_key = _key_for(comparators[wrapped.args[0].value.value], element_type(types.get(name)))
    if new_key is None:
        return None
    key_expr, reverse = new_key
    args = list(call.args[:-1])
    if key_expr is not None:
        args.append(key.with_changes(value=key_expr, comma=cst.MaybeSentinel.DEFAULT))
    elif args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    if reverse:
        if args:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(cst.Arg(cst.Name("True"), keyword=cst.Name("reverse"),
                            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)


def _field(expr, param: str) -> tuple | None:
    """The field ``expr`` reads from ``param``: ``("self",)``, ``("index", i)``, ``("len",)``."""
    if m.matches(expr, m.Name(param)):
        return ("self",)
    if (isinstance(expr, cst.Subscript) and m.matches(expr.value, m.Name(param)) and len(expr.slice) == 1
            and m.matches(expr.slice[0].slice, m.Index(m.Integer()))):
        return ("index", int(expr.slice[0].slice.value.value, 0))
    if ct.is_call_to(expr, "len") and len(expr.args) == 1 and m.matches(expr.args[0], m.Arg(m.Name(param), keyword=None, star="")):
        return ("len",)
    return None


def _pair(left, right, a: str, b: str) -> tuple[tuple, bool] | None:
    """(field, descending) when ``left``/``right`` read one field of ``a``/``b`` (or swapped)."""
    fa, fb = _field(left, a), _field(right, b)
    if fa is not None and fa == fb:
        return fa, False
    fa, fb = _field(right, a), _field(left, b)
    return (fa, True) if fa is not None and fa == fb else None


def _level(value, a: str, b: str) -> tuple[tuple, bool, str] | None:
    """(field, descending, kind) of a returned ``KA - KB`` or ``(KA > KB) - (KA < KB)``."""
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Subtract):
        return None
    left, right = value.left, value.right
    if isinstance(left, cst.Comparison) and isinstance(right, cst.Comparison):
        if not (m.matches(left, m.Comparison(comparisons=[m.ComparisonTarget(m.GreaterThan())]))
                and m.matches(right, m.Comparison(comparisons=[m.ComparisonTarget(m.LessThan())]))):
            return None
        first = _pair(left.left, left.comparisons[0].comparator, a, b)
        second = _pair(right.left, right.comparisons[0].comparator, a, b)
        return (*first, "order") if first is not None and first == second else None
    found = _pair(left, right, a, b)
    return (*found, "difference") if found is not None else None


def _test_pair(test, operator, a: str, b: str):
    if not m.matches(test, m.Comparison(comparisons=[m.ComparisonTarget(operator)])):
        return None
    return _pair(test.left, test.comparisons[0].comparator, a, b)


def _returns(statement):
    """The value of ``if T: return V`` or of a ``return V`` line (one statement), else None."""
    body = statement.body.body if isinstance(statement, cst.If) and statement.orelse is None else [statement]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return None
    small = body[0].body[0]
    return small.value if isinstance(small, cst.Return) and small.value is not None else None


def _sign_pair(first, second, a: str, b: str) -> tuple[tuple, bool, str] | None:
    """``if KA < KB: return -1`` and ``if KA > KB: return 1`` (either order, either direction)."""
    signs = []
    for statement in (first, second):
        if not isinstance(statement, cst.If):
            return None
        value = _returns(statement)
        less, greater = _test_pair(statement.test, m.LessThan(), a, b), _test_pair(statement.test, m.GreaterThan(), a, b)
        sign = 1 if m.matches(value, m.Integer("1")) else -1 if m.matches(value, m.UnaryOperation(m.Minus(), m.Integer("1"))) else 0
        found = less or greater
        if found is None or sign == 0:
            return None
        # "a before b" (ascending) when the smaller a returns -1
        signs.append((found[0], (sign == -1) == (less is not None) ^ found[1]))
    if signs[0][0] != signs[1][0] or signs[0][1] != signs[1][1]:
        return None
    return signs[0][0], not signs[0][1], "order"


def _levels(func: cst.FunctionDef) -> list[tuple[tuple, bool, str]] | None:
    params = func.params
    if (func.decorators or len(params.params) != 2 or params.star_arg is not cst.MaybeSentinel.DEFAULT
            or params.kwonly_params or params.posonly_params or params.star_kwarg
            or any(p.default for p in params.params) or not isinstance(func.body, cst.IndentedBlock)):
        return None
    a, b = (p.name.value for p in params.params)
    body, levels, i = list(func.body.body), [], 0
    while i < len(body):
        statement, last = body[i], i == len(body) - 1
        value = _returns(statement)
        if last and not isinstance(statement, cst.If):
            if m.matches(value, m.Integer("0")) and levels:
                return levels
            level = _level(value, a, b) if value is not None else None
            return [*levels, level] if level is not None else None
        if isinstance(statement, cst.If) and value is not None and not last:
            guard = _test_pair(statement.test, m.NotEqual(), a, b)
            level = _level(value, a, b)
            if guard is not None and level is not None and guard[0] == level[0]:
                levels.append(level)
                i += 1
                continue
        pair = _sign_pair(statement, body[i + 1], a, b) if not last else None
        if pair is None:
            return None
        levels.append(pair)
        i += 2
    return levels or None


def _field_type(field: tuple, element: str | None) -> str | None:
    if field[0] == "len":  # the key calls len on every element, even where cmp never ran
        return "int" if is_sized_type(element) else None
    if field[0] == "self":
        return element
    head, args = split_type(element or "")
    return args[field[1]] if head == "tuple" and "..." not in args and 0 <= field[1] < len(args) else None


def _ordered(description: str | None) -> bool:
    if description in _ORDERED:
        return True
    head, args = split_type(description or "")
    return head == "tuple" and bool(args) and "..." not in args and all(_ordered(a) for a in args)


def _key_for(func: cst.FunctionDef, element: str | None):
    """(key expression or None for the identity, reverse) equal to sorting by ``func``, or None."""
    levels = _levels(func)
    if levels is None:
        return None
    reverse = all(desc for _, desc, _ in levels)
    param = func.params.params[0].name.value
    parts = []
    for field, desc, kind in levels:
        kind_of = _field_type(field, element)
        negate = desc and not reverse
        if (kind == "difference" or negate) and kind_of not in _INTS:
            return None
        if not _ordered(kind_of):
            return None
        text = {"self": param, "len": f"len({param})"}.get(field[0]) or f"{param}[{field[1]}]"
        parts.append(f"-{text}" if negate else text)
    if len(parts) == 1 and parts[0] == param:
        return None, reverse
    if len(parts) == 1 and parts[0] == f"len({param})":
        return cst.Name("len"), reverse
    body = parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"
    return cst.parse_expression(f"lambda {param}: {body}"), reverse
