"""Rewrite an order-preserving de-duplication loop into ``list(dict.fromkeys(items))``.

Rewrites::

    out = []
    for x in items:
        if x not in out:
            out.append(x)

into ``out = list(dict.fromkeys(items))`` when all of these are proven:

1. the two statements are adjacent in a function body, the loop has no ``else`` and a
   plain-name target, and its body is exactly that ``if`` (no ``elif``/``else``) with
   exactly that append of the loop variable;
2. the items are provably hashable, so ``dict.fromkeys`` cannot raise where the list test
   did not: the iterable is ``range(...)``, or a parameter annotated as a ``list``,
   ``tuple``, ``set``, ``frozenset`` or ``Sequence`` of ``int``, ``str``, ``float``,
   ``bytes`` or ``bool`` (annotations are trusted), or ``s.split(...)`` of a parameter
   annotated ``str``. For such built-in values, hashing agrees with ``==``; identity is
   checked first by both the list and the dict, so NaN objects behave the same; the dict
   keeps the first occurrence of each key, as the list did;
   Observed types prove it too: a never-changed name observed (or inferred) as such a
   container of hashable values;
3. ``out`` does not appear in the iterable, and the loop variable is used nowhere in the
   function outside the loop. The probe may also be an item of the loop variable (or a
   tuple of items), ``o["day"]``, tested and appended alike, of a hashable type by the
   loop variable's type: then ``out = list(dict.fromkeys(o["day"] for o in items))``
   (read once instead of twice: a typed dict or tuple runs no code on a lookup). The
   loop may also run over the rows of a never-changed table and then over each row
   (``for ballot in ballots: for name in ballot:``), the rows' type observed and nothing
   in the function able to change a row: ``list(dict.fromkeys(name for ballot in ballots
   for name in ballot))``;
4. ``list`` and ``dict`` are not rebound in the module.

De-duplication by a key, where a second list only remembers the keys seen::

    seen = []
    for x in items:
        k = key_of(x)
        if k not in seen:
            seen.append(k)
            out.append(x)

becomes ``seen = set()`` and ``seen.add(k)`` (order is kept: ``out`` is untouched), when:

5. ``seen`` is a local bound exactly once, by ``seen = []`` (or ``list()``), in a function
   without ``global``/``nonlocal``: nothing else can hold the list;
6. every other use of ``seen`` is the right side of a single ``in``/``not in`` test or
   ``seen.append(v)`` as a statement: order, duplicates and identity of the container are
   never observed, and ``append`` / ``add`` both return None;
7. every probe and every appended value is provably hashable
   (:func:`polca.skills.analysis.facts.typed_hashable_names`: literals, ``range`` variables,
   loop variables over parameters observed or annotated as ``list[int]``,
   ``list[tuple[int, str]]``..., and arithmetic, ``len``, ``str``... over those), so the
   set can neither raise where the list did not nor answer differently (for built-in
   values ``==`` and ``hash`` agree; both check identity first);
8. at least one test runs inside a loop, and ``set`` is not rebound in the module.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    function_facts,
    inner_items_unchanged,
    is_hashable_type,
    is_hashable_value,
    qualified_functions,
    typed_hashable_names,
    typed_names,
)

_CONTAINERS = {"list", "tuple", "set", "frozenset", "Sequence"}
_SCALARS = {"int", "str", "float", "bytes", "bool"}


def rewrite(module: cst.Module, observed=None) -> cst.Module:
    return _seen_lists_to_sets(_dedup_loops(module, observed or {}), observed or {})


def _dedup_loops(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"list", "dict", "range"} & shadowed:
        return module
    qualified = {id(func): name for name, func in qualified_functions(module)}
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        facts = function_facts(func, observed.get(qualified.get(id(func), ""), {}))
        typed = {n: t for n, t in typed_names(func, facts.observed, shadowed).items()}
        body = ct.body_statements(func)
        for init, loop in zip(body, body[1:], strict=False):
            found = _dedup_pair(func, init, loop, facts, typed)
            if found is not None:
                name, probe, loops = found
                new = cst.parse_statement(f"{name} = list(dict.fromkeys(x))\n")
                placeholder = new.body[0].value.args[0].value.args[0].value
                keys = loop.iter if len(loops) == 1 and m.matches(probe, m.Name(loop.target.value)) else _generator(
                    probe, loops)
                mapping[id(init)] = new.deep_replace(placeholder, keys).with_changes(leading_lines=init.leading_lines)
                mapping[id(loop)] = cst.RemovalSentinel.REMOVE
    return ct.replace_nodes(module, mapping) if mapping else module


def _dedup_pair(func, init, loop, facts, typed) -> tuple[str, cst.BaseExpression, list[cst.For]] | None:
    """(out, probe, loops) for ``out = []`` + a loop (or a loop over the rows of a table
    and one over each row) appending each new ``probe``, else None."""
    empty = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.List(elements=[]))])
    if not m.matches(init, empty):
        return None
    loops = [loop]
    while _plain_loop(loops[-1]) and len(loops) < 3:
        body = loops[-1].body.body
        if len(body) != 1 or not _plain_loop(body[0]):
            break
        loops.append(body[0])
    if not _plain_loop(loops[-1]) or len(loops) > 2:
        return None
    inner = loops[-1]
    name, item = init.body[0].targets[0].target.value, inner.target.value
    test = m.Comparison(comparisons=[m.ComparisonTarget(operator=m.NotIn(), comparator=m.Name(name))])
    append = m.Call(func=m.Attribute(value=m.Name(name), attr=m.Name("append")), args=[m.Arg(keyword=None, star="")])
    block = m.IndentedBlock(body=[m.SimpleStatementLine(body=[m.Expr(append)])])
    if not m.matches(inner.body, m.IndentedBlock(body=[m.If(test=test, body=block, orelse=None)])):
        return None
    probe = inner.body.body[0].test.left
    added = inner.body.body[0].body.body[0].body[0].value.args[0].value
    if any(ct.name_refs(each.iter, name) for each in loops) or not probe.deep_equals(added) or ct.name_refs(probe, name):
        return None
    if len(loops) == 2 and not _rows_of_a_table(func, facts, typed, *loops):
        return None
    if m.matches(probe, m.Name(item)):
        if len(loops) == 1 and not (_hashable_items(func, loop.iter) or _observed_hashable_items(facts, loop.iter)):
            return None
        if len(loops) == 2 and not is_hashable_type(typed.get(item) or ""):
            return None
    elif not (_item_of(probe, item) and is_hashable_value(probe, (), (), typed) and (len(loops) == 2 or (
            isinstance(loop.iter, cst.Name) and facts.never_changed(loop.iter.value)
            and inner_items_unchanged(func, loop.iter.value, loop)))):
        return None  # the items' types are the observed ones only if nothing changed them
    inside = {id(n) for n in ct.walk(loop)}
    if any(id(ref) not in inside for each in loops for ref in ct.name_refs(func, each.target.value)):
        return None
    return name, probe, loops


def _generator(probe, loops: list[cst.For]) -> cst.GeneratorExp:
    """``probe for a in xs [for b in a]``, the loops' own targets and iterables."""
    clause = None
    for each in reversed(loops):
        clause = cst.CompFor(target=each.target, iter=each.iter, inner_for_in=clause)
    return cst.GeneratorExp(elt=probe, for_in=clause, lpar=[], rpar=[])


def _plain_loop(node) -> bool:
    return (isinstance(node, cst.For) and not node.orelse and not node.asynchronous
            and isinstance(node.target, cst.Name) and isinstance(node.body, cst.IndentedBlock))


def _rows_of_a_table(func, facts, typed, outer: cst.For, inner: cst.For) -> bool:
    """``for row in table: for x in row:`` over a never-changed ``table`` whose rows nothing
    in the function can change, so the rows' observed type (``typed``) holds."""
    return (isinstance(outer.iter, cst.Name) and m.matches(inner.iter, m.Name(outer.target.value))
            and facts.never_changed(outer.iter.value) and inner_items_unchanged(func, outer.iter.value, outer)
            and outer.target.value in typed)


def _item_of(probe: cst.BaseExpression, item: str) -> bool:
    """``item[k]`` with a literal ``k``, or a tuple of those: evaluating it once instead of
    twice (the test and the append) reads the same values and runs no user code, the
    items being typed built-in containers."""
    if isinstance(probe, cst.Tuple):
        return bool(probe.elements) and all(isinstance(e, cst.Element) and _item_of(e.value, item)
                                            for e in probe.elements)
    return m.matches(probe, m.Subscript(value=m.Name(item), slice=[m.SubscriptElement(
        m.Index(m.SimpleString() | m.Integer()))]))


def _observed_hashable_items(facts, iterable: cst.BaseExpression) -> bool:
    """A never-changed list/tuple/set (by observed or inferred type) of hashable values."""
    if not isinstance(iterable, cst.Name) or not facts.never_changed(iterable.value):
        return False
    kind = facts.type_of(iterable.value)
    return (kind or "").split("[")[0] in _CONTAINERS and is_hashable_type(element_type(kind) or "")


def _annotation_of(func: cst.FunctionDef, name: str) -> cst.BaseExpression | None:
    for param in func.params.params:
        if param.name.value == name and param.annotation and ct.binding_count(func, name) == 1:
            return param.annotation.annotation
    return None


def _hashable_items(func: cst.FunctionDef, iterable: cst.BaseExpression) -> bool:
    if ct.is_call_to(iterable, "range"):
        return True
    if m.matches(iterable, m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("split")))):
        return m.matches(_annotation_of(func, iterable.func.value.value), m.Name("str"))
    if not isinstance(iterable, cst.Name):
        return False
    annotation = _annotation_of(func, iterable.value)
    pattern = m.Subscript(
        value=m.Name() | m.Attribute(),
        slice=[m.SubscriptElement(slice=m.Index(value=m.Name()))],
    )
    if not m.matches(annotation, pattern):
        return False
    container = annotation.value.attr if isinstance(annotation.value, cst.Attribute) else annotation.value
    return container.value in _CONTAINERS and annotation.slice[0].slice.value.value in _SCALARS


def _seen_lists_to_sets(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"set", "list"} & shadowed:
        return module
    qualified = {id(func): name for name, func in qualified_functions(module)}
    mapping: dict[int, cst.CSTNode] = {}
    for func in ct.functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualified.get(id(func), ""), {}))
        typed = typed_names(func, facts.observed, shadowed)
        hashable = typed_hashable_names(func, facts.type_of, facts.rebound, shadowed, typed)
        for node in ct.own_nodes(func):
            name = _empty_list_target(node)
            if name and ct.binding_count(func, name) == 1:
                mapping.update(_seen_plan(func, node, name, hashable, shadowed, typed))
    return ct.replace_nodes(module, mapping) if mapping else module


def _empty_list_target(node: cst.CSTNode) -> str | None:
    empty = m.List(elements=[]) | m.Call(func=m.Name("list"), args=[])
    if m.matches(node, m.Assign(targets=[m.AssignTarget(m.Name())], value=empty)):
        return node.targets[0].target.value
    return None


def _seen_plan(func, assign: cst.Assign, name: str, hashable: set[str], shadowed: set[str],
               typed) -> dict[int, cst.CSTNode]:
    """The replacements turning the ``seen`` list into a set, or {} if unprovable."""
    parents = ct.parent_map(func)
    tests, adds = [], []
    own = {id(n) for n in ct.own_nodes(func)}
    for ref in ct.name_refs(func, name):
        if ref is assign.targets[0].target:
            continue
        if id(ref) not in own:
            return {}  # a nested scope proves nothing with this function's facts
        target = parents.get(id(ref))
        if isinstance(target, cst.ComparisonTarget) and isinstance(target.operator, cst.In | cst.NotIn):
            comparison = parents.get(id(target))
            if len(comparison.comparisons) != 1 or not is_hashable_value(comparison.left, hashable, shadowed, typed):
                return {}
            tests.append(ref)
            continue
        method = ct.method_call_on(ref, parents)
        if method is None or method[0] != "append" or not isinstance(parents.get(id(method[1])), cst.Expr):
            return {}
        call = method[1]
        if len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
            return {}
        if not is_hashable_value(call.args[0].value, hashable, shadowed, typed):
            return {}
        adds.append(call)
    in_loops = ct.ids_inside_loops(func.body)
    if not adds or not any(id(ref) in in_loops for ref in tests):
        return {}
    mapping: dict[int, cst.CSTNode] = {id(assign.value): cst.Call(func=cst.Name("set"))}
    for call in adds:
        mapping[id(call)] = call.with_changes(func=call.func.with_changes(attr=cst.Name("add")))
    return mapping
