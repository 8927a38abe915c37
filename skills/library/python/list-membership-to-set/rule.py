"""Rewrite a list built once and only used for membership tests into a set.

Rewrites ``name = [e for ... ]`` (or a list literal) into ``name = {e for ...}`` when all
of these are proven from the function's code:

1. ``name`` is a local of the function bound exactly once, by that assignment (not a
   parameter, not ``global``/``nonlocal``), so nothing else can hold or mutate the list;
2. every other use of ``name`` is as the right operand of a single ``in``/``not in``
   test, so order, duplicates and identity of the container are never observed;
3. the elements are provably hashable built-in values (literals, ``int(...)``,
   ``str(...)``, ``len(...)``... range loop variables, arithmetic over those) and so is
   the left operand of each test, so neither building the set nor probing it can raise
   where the list would not;
4. at least one test runs inside a loop, so the set pays for itself.

Built-in names used in the proof (``int``, ``range``...) must not be rebound anywhere in
the module. The list literal must be non-empty (``{}`` would be a dict).
"""

from __future__ import annotations

import libcst as cst

from polca.skills import cst_tools as ct


def rewrite(module: cst.Module) -> cst.Module:
    shadowed = ct.module_bindings(module)
    mapping: dict[int, cst.CSTNode] = {}
    for func in ct.functions(module):
        for assign in _candidate_assigns(func):
            if _provable(func, assign, shadowed):
                mapping[id(assign.value)] = _as_set(assign.value)
    return ct.replace_nodes(module, mapping) if mapping else module


def _candidate_assigns(func: cst.FunctionDef) -> list[cst.Assign]:
    return [
        node
        for node in ct.walk(func.body)
        if isinstance(node, cst.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0].target, cst.Name)
        and (isinstance(node.value, cst.ListComp) or (isinstance(node.value, cst.List) and node.value.elements))
    ]


def _provable(func: cst.FunctionDef, assign: cst.Assign, shadowed: set[str]) -> bool:
    name = assign.targets[0].target.value
    if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
        return False
    hashable = ct.hashable_names(func, shadowed)
    if not _elements_hashable(assign.value, hashable, shadowed):
        return False
    tests = _membership_tests(func, name)
    refs = ct.name_refs(func, name)
    allowed = {id(assign.targets[0].target)} | {id(comparator) for comparator, _ in tests}
    if not tests or any(id(ref) not in allowed for ref in refs):
        return False
    if not all(ct.is_hashable_expr(left, hashable, shadowed) for _, left in tests):
        return False
    in_loops = ct.ids_inside_loops(func.body)
    return any(id(comparator) in in_loops for comparator, _ in tests)


def _elements_hashable(value: cst.BaseExpression, hashable: set[str], shadowed: set[str]) -> bool:
    if isinstance(value, cst.List):
        return all(
            isinstance(el, cst.Element) and ct.is_hashable_expr(el.value, hashable, shadowed)
            for el in value.elements
        )
    comp_names: set[str] = set()
    for_in = value.for_in
    while for_in is not None:
        comp_names |= ct.range_loop_names(for_in, shadowed)
        for_in = for_in.inner_for_in
    return ct.is_hashable_expr(value.elt, hashable | comp_names, shadowed)


def _membership_tests(func: cst.FunctionDef, name: str) -> list[tuple[cst.Name, cst.BaseExpression]]:
    tests = []
    for node in ct.walk(func.body):
        if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
            continue
        target = node.comparisons[0]
        if isinstance(target.operator, cst.In | cst.NotIn) and isinstance(target.comparator, cst.Name):
            if target.comparator.value == name:
                tests.append((target.comparator, node.left))
    return tests


def _as_set(value: cst.List | cst.ListComp) -> cst.BaseExpression:
    if isinstance(value, cst.List):
        return cst.Set(elements=value.elements, lpar=value.lpar, rpar=value.rpar)
    return cst.SetComp(elt=value.elt, for_in=value.for_in, lpar=value.lpar, rpar=value.rpar)
