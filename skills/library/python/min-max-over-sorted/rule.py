"""Rewrite ``sorted(xs)[0]`` / ``sorted(xs)[-1]`` into ``min(xs)`` / ``max(xs)``.

Rewrites ``sorted(xs, [key=k], [reverse=True|False])[i]`` with ``i`` ``0`` or ``-1`` when
all of these are proven from the function's code and facts:

1. ``xs`` is a plain name, a parameter or a local of the function, never changed
   (:meth:`FunctionFacts.never_changed`: not mutated, rebound or handed to unknown code),
   and only read plainly (tested, iterated, indexed, compared, passed to pure built-ins),
   never put in a container through which it could change unnamed;
2. ``xs`` is non-empty where the expression runs, so ``sorted(...)[i]`` could not have
   raised IndexError where ``min``/``max`` raise ValueError: the expression sits in the
   body of ``if xs:`` / ``if len(xs) > 0:`` (also ``while``, ``... if xs else ...`` and
   the right side of ``xs and ...``), or follows in the same block a guard
   ``if not xs: return/raise/break/continue`` (``len(xs) == 0`` and ``or`` chains too);
3. ``xs`` is a built-in container or a str (observed type or annotation), whose truth
   and ``len`` tell emptiness (an iterator is always true);
4. the compared values are totally ordered, so a sort and a scan agree on the extreme:
   without a key, the elements are ``int`` or ``str`` (observed types or annotations:
   ``list[int]``, ``tuple[str]``, ``str``...); with a key, the key is ``len`` or ``ord``
   (int results), or ``str.lower``/``str.upper``/``str.casefold`` over str elements;
5. ties pick the same element: a stable sort's first element and ``min``/``max`` both
   keep the first of equals, so ``[0]`` (``min``, or ``max`` under ``reverse=True``) is
   always safe; ``[-1]`` takes the last of equals, so it is rewritten only without a key,
   where equal ints or strs cannot be told apart;
6. ``sorted``, ``min``, ``max``, ``len`` (and ``ord``, ``str`` when used) are not rebound
   in the module.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    PURE_BUILTINS,
    element_type,
    function_facts,
    qualified_functions,
)

_ORDERED = ("int", "str")
_CONTAINERS = ("list", "tuple", "set", "frozenset", "Sequence", "List", "Tuple", "Set")
_INT_KEYS = frozenset({"len", "ord"})
_STR_KEYS = frozenset({"lower", "upper", "casefold"})


def rewrite(module: cst.Module, observed=None) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"sorted", "min", "max", "len"} & shadowed:
        return module
    observed = observed or {}
    qualified = {id(func): name for name, func in qualified_functions(module)}
    mapping: dict[int, cst.CSTNode] = {}
    for func in ct.functions(module):
        facts = function_facts(func, observed.get(qualified.get(id(func), ""), {}))
        parents = ct.parent_map(func)
        for node in ct.walk(func.body):
            new = _plan(node, func, facts, parents, shadowed)
            if new is not None:
                mapping[id(node)] = new
    return ct.replace_nodes(module, mapping) if mapping else module


def _sorted_end(node: cst.CSTNode):
    """(call, index 0 or -1) for ``sorted(...)[0]`` / ``sorted(...)[-1]``, else None."""
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1 or not ct.is_call_to(node.value, "sorted"):
        return None
    index = node.slice[0].slice
    if not isinstance(index, cst.Index):
        return None
    if m.matches(index.value, m.Integer("0")):
        return node.value, 0
    if m.matches(index.value, m.UnaryOperation(operator=m.Minus(), expression=m.Integer("1"))):
        return node.value, -1
    return None


def _plan(node, func, facts, parents, shadowed) -> cst.CSTNode | None:
    found = _sorted_end(node)
    if found is None:
        return None
    call, index = found
    args = _arguments(call)
    if args is None:
        return None
    items, key, reverse = args
    if not isinstance(items.value, cst.Name):
        return None
    name = items.value.value
    if not _owned_and_unchanged(func, name, facts):
        return None
    kind = facts.type_of(name) or ""
    if kind != "str" and kind.partition("[")[0] not in _CONTAINERS + ("dict", "Dict"):
        return None  # an iterator is true even when empty: the guard would prove nothing
    element = _element_type(kind)
    if not _totally_ordered(key, element, shadowed) or (index == -1 and key is not None):
        return None
    if not _non_empty_here(node, name, parents):
        return None
    use_max = (index == -1) != reverse
    new_args = [items.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    if key is not None:
        new_args = [items, key.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    return cst.Call(func=cst.Name("max" if use_max else "min"), args=new_args, lpar=node.lpar, rpar=node.rpar)


def _arguments(call: cst.Call):
    """(items arg, key arg or None, reverse) for a plain ``sorted`` call, else None."""
    if not call.args or call.args[0].keyword or call.args[0].star:
        return None
    key, reverse = None, False
    for arg in call.args[1:]:
        if arg.star or arg.keyword is None:
            return None
        if arg.keyword.value == "key":
            key = arg
        elif arg.keyword.value == "reverse" and m.matches(arg.value, m.Name("True") | m.Name("False")):
            reverse = arg.value.value == "True"
        else:
            return None
    return call.args[0], key, reverse


def _owned_and_unchanged(func: cst.FunctionDef, name: str, facts) -> bool:
    local = facts.is_param(name) or ct.binding_count(func.body, name) == 1
    if not (local and facts.never_changed(name)):
        return False
    parents = ct.parent_map(func)
    return all(_plain_read(ref, parents) for ref in ct.name_refs(func.body, name) if parents.get(id(ref)) is not None)


def _plain_read(ref: cst.Name, parents) -> bool:
    """A use that cannot hand the object on (``box = [xs]`` could: ``box[0].clear()``)."""
    parent = parents.get(id(ref))
    if isinstance(parent, cst.AssignTarget) or ct.is_truth_test(ref, parents):
        return True
    if isinstance(parent, cst.For | cst.CompFor | cst.Subscript):
        return getattr(parent, "iter", None) is ref or getattr(parent, "value", None) is ref
    if isinstance(parent, cst.IfExp | cst.BooleanOperation | cst.Comparison | cst.ComparisonTarget):
        return not isinstance(parent, cst.BooleanOperation) or parent.left is ref
    if isinstance(parent, cst.Arg) and parent.keyword is None and parent.star == "":
        call = parents.get(id(parent))
        return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in PURE_BUILTINS
    return False


def _element_type(kind: str) -> str:
    """``int``/``str`` for a container of ints or strs, a str, or a dict with such keys; else ""."""
    head, _, rest = kind.partition("[")
    inner = rest.split(",")[0].strip() if head in ("dict", "Dict") else (element_type(kind) or "")
    return inner if inner in _ORDERED else ""


def _totally_ordered(key: cst.Arg | None, element: str, shadowed: set[str]) -> bool:
    if key is None:
        return bool(element)
    value = key.value
    if isinstance(value, cst.Name):
        return value.value in _INT_KEYS and value.value not in shadowed
    return (
        element == "str"
        and "str" not in shadowed
        and m.matches(value, m.Attribute(value=m.Name("str"), attr=m.Name()))
        and value.attr.value in _STR_KEYS
    )


def _non_empty_here(node: cst.CSTNode, name: str, parents) -> bool:
    """Some enclosing test or an earlier guard in an enclosing block proves ``name`` non-empty."""
    child, parent = node, parents.get(id(node))
    while parent is not None and not isinstance(parent, cst.FunctionDef | cst.Lambda):
        if isinstance(parent, cst.If | cst.While) and child is parent.body and _proves_non_empty(parent.test, name):
            return True
        if isinstance(parent, cst.IfExp) and child is parent.body and _proves_non_empty(parent.test, name):
            return True
        if (
            isinstance(parent, cst.BooleanOperation)
            and isinstance(parent.operator, cst.And)
            and child is parent.right
            and _proves_non_empty(parent.left, name)
        ):
            return True
        if isinstance(parent, cst.IndentedBlock | cst.Module) and _guarded_before(parent, child, name):
            return True
        child, parent = parent, parents.get(id(parent))
    return False


def _guarded_before(block, statement, name: str) -> bool:
    """An ``if <name is empty>: return/raise/break/continue`` precedes ``statement`` in ``block``."""
    for earlier in block.body:
        if earlier is statement:
            return False
        if isinstance(earlier, cst.If) and earlier.orelse is None and _exits(earlier.body):
            if _proves_empty(earlier.test, name):
                return True
    return False


def _exits(body: cst.BaseSuite) -> bool:
    last = body.body[-1] if isinstance(body, cst.IndentedBlock) else body
    small = last.body[-1] if isinstance(last, cst.SimpleStatementLine | cst.SimpleStatementSuite) else None
    return isinstance(small, cst.Return | cst.Raise | cst.Break | cst.Continue)


def _is_len(expr: cst.BaseExpression, name: str) -> bool:
    return ct.is_call_to(expr, "len") and len(expr.args) == 1 and m.matches(
        expr.args[0], m.Arg(value=m.Name(name), keyword=None, star="")
    )


def _compares_len(test: cst.BaseExpression, name: str, wanted: set[tuple[type, str]]) -> bool:
    """``len(name) OP N`` with (OP, N) in ``wanted``."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or not _is_len(test.left, name):
        return False
    target = test.comparisons[0]
    return isinstance(target.comparator, cst.Integer) and (type(target.operator), target.comparator.value) in wanted


def _proves_non_empty(test: cst.BaseExpression, name: str) -> bool:
    """``test`` true implies ``name`` non-empty."""
    if m.matches(test, m.Name(name)) or _is_len(test, name):
        return True
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _proves_non_empty(test.left, name) or _proves_non_empty(test.right, name)
    return _compares_len(test, name, {(cst.GreaterThan, "0"), (cst.GreaterThanEqual, "1"), (cst.NotEqual, "0")})


def _proves_empty(test: cst.BaseExpression, name: str) -> bool:
    """``test`` false implies ``name`` non-empty (the guard's fall-through)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _proves_non_empty(test.expression, name)
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _proves_empty(test.left, name) or _proves_empty(test.right, name)
    return _compares_len(test, name, {(cst.Equal, "0"), (cst.LessThan, "1"), (cst.LessThanEqual, "0")})
