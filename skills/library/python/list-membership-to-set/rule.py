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

A parameter that the function receives as a list or tuple gets a set built
beside it, ``items_set = set(items)``, placed before the first top-level statement that
tests it; each ``x in items`` becomes ``x in items_set``, when:

5. the function never changes ``items``: not mutated, not rebound, never handed to code
   that could keep or change it (:meth:`FunctionFacts.never_changed`), and no one else
   can change it while the function runs: every call in the function is a pure built-in
   (not rebound) or a method of a local the function built itself, and the function does
   not ``yield`` or ``await`` (the caller could change the list meanwhile);
6. ``items`` is a ``list``/``tuple``/``Sequence`` whose elements are of a hashable built-in
   type, from the observed runtime type or the annotation (``list[int]``,
   ``tuple[str, ...]`` is not proven, ``list[tuple[int, int]]`` is), so ``set(items)``
   cannot raise; a ``str`` is never rewritten (``"ab" in text`` is a substring test);
7. every other use of ``items`` is a plain read (iterated, indexed, or an argument of a
   pure built-in), so no container or alias can hold it; ``box = [items]`` then
   ``box[0][0] = v`` would change it without naming it;
8. every probe is provably hashable (:func:`polca.skills.analysis.facts.typed_hashable_names`)
   and at least one test runs inside a loop; ``items_set`` is a new name in the module.
"""

from __future__ import annotations

import libcst as cst

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    PURE_BUILTINS,
    element_type,
    function_facts,
    is_hashable_type,
    qualified_functions,
    typed_hashable_names,
    typed_names,
)

_SEQUENCES = ("list", "tuple", "List", "Tuple", "Sequence")


def rewrite(module: cst.Module, observed=None) -> cst.Module:
    return _received_lists_to_sets(_built_lists_to_sets(module), observed or {})


def _built_lists_to_sets(module: cst.Module) -> cst.Module:
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


def _received_lists_to_sets(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if "set" in shadowed:
        return module
    qualified = {id(func): name for name, func in qualified_functions(module)}
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        facts = function_facts(func, observed.get(qualified.get(id(func), ""), {}))
        if not _nothing_else_runs(func, facts, shadowed):
            continue
        hashable = typed_hashable_names(func, facts.type_of, facts.rebound, shadowed,
                                        typed_names(func, facts.observed, shadowed))
        inserts: dict[int, list[cst.BaseStatement]] = {}
        for name in _hashable_sequences(func, facts):
            plan = _received_plan(func, name, hashable, shadowed)
            if plan is not None:
                first, tests = plan
                inserts.setdefault(id(first), []).append(cst.parse_statement(f"{name}_set = set({name})\n"))
                mapping.update({id(ref): cst.Name(f"{name}_set") for ref in tests})
                shadowed.add(f"{name}_set")
        for statement in ct.body_statements(func):
            if id(statement) in inserts:
                mapping[id(statement)] = _prepend(inserts[id(statement)])
    return ct.replace_nodes(module, mapping) if mapping else module


def _prepend(extra: list[cst.BaseStatement]):
    return lambda new: cst.FlattenSentinel([*extra, new])


def _nothing_else_runs(func: cst.FunctionDef, facts, shadowed: set[str]) -> bool:
    """Every call is a pure built-in or a method of a local this function built; no yield."""
    for node in ct.walk(func.body):
        if isinstance(node, cst.Yield | cst.Await | cst.Lambda | cst.FunctionDef | cst.ClassDef):
            return False
        if not isinstance(node, cst.Call):
            continue
        func_expr = node.func
        if isinstance(func_expr, cst.Name) and func_expr.value in PURE_BUILTINS and func_expr.value not in shadowed:
            continue
        if (
            isinstance(func_expr, cst.Attribute)
            and isinstance(func_expr.value, cst.Name)
            and not facts.is_param(func_expr.value.value)
            and func_expr.value.value in facts.local_types
        ):
            continue
        return False
    return True


def _hashable_sequences(func: cst.FunctionDef, facts) -> list[str]:
    out = []
    for name in facts.params:  # a local might be bound after the place the set is built
        kind = facts.type_of(name) or ""
        if kind.partition("[")[0] in _SEQUENCES and facts.never_changed(name):
            if is_hashable_type(element_type(kind) or ""):
                out.append(name)
    return out


def _plain_read(ref: cst.Name, parents) -> bool:
    """A use that cannot hand the list to anything that could keep it (``[items]`` could:
    ``box[0][0] = v`` would then change it unseen)."""
    parent = parents.get(id(ref))
    if isinstance(parent, cst.For | cst.CompFor):
        return parent.iter is ref
    if isinstance(parent, cst.Subscript):
        return parent.value is ref
    if isinstance(parent, cst.Arg) and parent.keyword is None and parent.star == "":
        call = parents.get(id(parent))
        return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in PURE_BUILTINS
    return False


def _received_plan(func: cst.FunctionDef, name: str, hashable: set[str], shadowed: set[str]):
    """(first top-level statement with a test, the tested references) or None."""
    if f"{name}_set" in shadowed:
        return None
    tests = [(c, left) for c, left in _membership_tests(func, name)]
    if not tests or not all(ct.is_hashable_expr(left, hashable, shadowed) for _, left in tests):
        return None
    in_loops = ct.ids_inside_loops(func.body)
    if not any(id(c) in in_loops for c, _ in tests):
        return None
    ids = {id(c) for c, _ in tests}
    parents = ct.parent_map(func)
    if not all(id(ref) in ids or _plain_read(ref, parents) for ref in ct.name_refs(func.body, name)):
        return None
    for statement in ct.body_statements(func):
        if any(id(n) in ids for n in ct.walk(statement)):
            return statement, [c for c, _ in tests]
    return None
