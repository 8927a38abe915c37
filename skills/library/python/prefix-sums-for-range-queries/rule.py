"""Answer repeated ``sum(values[lo:hi])`` from prefix sums built once.

In a function where ``sum(V[lo:hi])`` (either bound may be missing, no step) runs inside a
loop or comprehension, the rule adds ``V_prefix = [0, *itertools.accumulate(V)] if
all(type(v) is int for v in V) else None`` as the function's first statement and answers
each sum as ``_slice_sum(V_prefix, V, lo, hi)``, a module-level helper that normalises the
bounds exactly as slicing does (``slice(lo, hi).indices(n)``: clamping, negative indices,
empty ranges give 0), or sums the slice itself when there is no prefix.

Preconditions, proven from the code and the facts:

1. ``V`` is a parameter whose type is ``list[int]`` or ``list[float]`` (observed, else
   hinted; ints beside floats are observed as ``list[float]``): prefix differences of ints
   are exact, and the prefix is built only when every item is an int (``type(v) is int``:
   a float, a bool or an int subclass gets ``sum`` of each slice, as the original), so a
   float list is summed exactly as before (a float prefix difference rounds differently:
   ``[1e16, 1.0, -1e16]``); building it at the top cannot raise where the original did not;
2. ``V`` is never changed (:meth:`FunctionFacts.never_changed`: not mutated, rebound,
   handed to unknown code, global), so the prefix stays valid for every query;
3. ``sum`` has that single argument; ``sum``, ``slice``, ``len``, ``all``, ``type`` are not bound anywhere in
   the module, ``itertools`` only by a top-level ``import itertools`` (added when
   missing), and ``V_prefix`` and ``_slice_sum`` are free (``_slice_sum`` may already be
   this rule's own helper);
4. the sums are not inside a nested function or lambda (their ``V`` may be another name).

Running sums built by hand become ``itertools.accumulate`` too (see :func:`_running_sums`).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    element_type,
    function_facts,
    qualified_functions,
    typed_names,
)

HELPER = '''def _slice_sum(prefix, values, lo, hi):
    """``sum(values[lo:hi])``, from ``prefix = [0, *itertools.accumulate(values)]`` unless it is None."""
    if prefix is None:
        return sum(values[lo:hi])
    lo, hi, _ = slice(lo, hi).indices(len(prefix) - 1)
    return prefix[hi] - prefix[lo] if hi > lo else 0
'''
_HELPER_NAME = "_slice_sum"


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    imported = ct.imported_modules(module).get("itertools") == "itertools"
    if {"sum", "slice", "len", "all", "type"} & shadowed or ct.binding_count(module, "itertools") != (1 if imported else 0):
        return module
    helper_present = ct.has_statement(module, HELPER)
    if _HELPER_NAME in shadowed and not helper_present:
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        edit = _edit_function(func, observed.get(qualname, {}), shadowed)
        if edit is not None:
            mapping[id(func)] = edit
    result = ct.replace_nodes(module, mapping) if mapping else module
    if mapping and not helper_present:
        result = ct.insert_helper(result, HELPER)
    result, accumulated = _running_sums(result, observed, shadowed)
    if not mapping and not accumulated:
        return module
    return ct.add_import(result, "import itertools")


def _running_sums(module: cst.Module, observed, shadowed: set[str]) -> tuple[cst.Module, bool]:
    """``out = []``, ``s = 0`` (either order), ``for x in xs: s += x; out.append(s)`` becomes
    ``out = list(itertools.accumulate(xs))`` when ``xs``' elements are ``int``/``float``
    (``0 + x`` is then ``x``: same value and type; only a leading ``-0.0`` comes out as
    ``-0.0`` where the loop gives ``0.0``, equal values), and neither ``s`` nor ``x`` is referred
    to outside those three statements (``s`` would hold the last sum)."""
    if "list" in shadowed:
        return module, False
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        for block in ct.own_blocks(func):
            body = list(block.body)
            for first, second, loop in zip(body, body[1:], body[2:], strict=False):
                found = _running_sum(first, second, loop, func, types)
                if found is not None:
                    lines = [*first.leading_lines, *second.leading_lines]  # keep comments on either
                    mapping[id(first)] = found.with_changes(leading_lines=lines)
                    mapping[id(second)] = cst.RemovalSentinel.REMOVE
                    mapping[id(loop)] = cst.RemovalSentinel.REMOVE
    return (ct.replace_nodes(module, mapping), True) if mapping else (module, False)


def _running_sum(first, second, loop, func, types) -> cst.SimpleStatementLine | None:
    inits = {}
    for statement in (first, second):
        if not m.matches(statement, m.SimpleStatementLine([m.Assign([m.AssignTarget(m.Name())])])):
            return None
        inits[statement.body[0].targets[0].target.value] = statement.body[0].value
    lists = [n for n, v in inits.items() if m.matches(v, m.List([]))]
    sums = [n for n, v in inits.items() if m.matches(v, m.Integer("0"))]
    if len(lists) != 1 or len(sums) != 1:
        return None
    out, total = lists[0], sums[0]
    if not (isinstance(loop, cst.For) and loop.orelse is None and isinstance(loop.target, cst.Name)
            and isinstance(loop.iter, cst.Name) and isinstance(loop.body, cst.IndentedBlock)
            and len(loop.body.body) == 2):
        return None
    x, values = loop.target.value, loop.iter.value
    add = m.SimpleStatementLine([m.AugAssign(m.Name(total), m.AddAssign(), m.Name(x))])
    append = m.SimpleStatementLine([m.Expr(m.Call(m.Attribute(m.Name(out), m.Name("append")),
                                                  [m.Arg(m.Name(total), keyword=None, star="")]))])
    if not (m.matches(loop.body.body[0], add) and m.matches(loop.body.body[1], append)):
        return None
    if element_type(types.get(values)) not in ("int", "float") or len({out, total, x, values}) != 4:
        return None
    span = cst.IndentedBlock([first, second, loop])
    if any(ct.read_outside(func, name, span) for name in (total, x)):
        return None
    return cst.parse_statement(f"{out} = list(itertools.accumulate({values}))\n")


def _edit_function(func: cst.FunctionDef, observed, shadowed: set[str]):
    """A function rewriting ``func``, or None when nothing is provable."""
    if not isinstance(func.body, cst.IndentedBlock):
        return None
    facts = function_facts(func, observed)
    in_loops = ct.ids_inside_loops(func.body)
    sums: dict[str, list[cst.Call]] = {}
    for call in ct.own_nodes(func):
        name = _summed_slice_of(call) if isinstance(call, cst.Call) else None
        if name and id(call) in in_loops:
            sums.setdefault(name, []).append(call)
    chosen = {name: calls for name, calls in sums.items()
              if facts.is_param(name) and facts.never_changed(name) and facts.type_of(name) in ("list[int]", "list[float]")
              and f"{name}_prefix" not in shadowed}
    if not chosen:
        return None
    replacements = {id(call): _answer(call, name) for name, calls in chosen.items() for call in calls}

    def edit(updated: cst.FunctionDef) -> cst.FunctionDef:
        # the body keeps its nodes' identities until this function rewrites it
        body = ct.replace_nodes(func.body, replacements)
        statements = list(body.body)
        start = 1 if statements and m.matches(statements[0], m.SimpleStatementLine([m.Expr(m.SimpleString())])) else 0
        prefixes = [cst.parse_statement(f"{n}_prefix = [0, *itertools.accumulate({n})] "
                                        f"if all(type(v) is int for v in {n}) else None\n") for n in sorted(chosen)]
        return updated.with_changes(body=body.with_changes(body=statements[:start] + prefixes + statements[start:]))

    return edit


def _summed_slice_of(call: cst.Call) -> str | None:
    """``V`` when ``call`` is ``sum(V[lo:hi])`` with a plain name ``V`` and no step."""
    if not ct.is_call_to(call, "sum") or len(call.args) != 1:
        return None
    arg = call.args[0]
    value = arg.value
    if arg.keyword is not None or arg.star != "" or not isinstance(value, cst.Subscript):
        return None
    if not isinstance(value.value, cst.Name) or len(value.slice) != 1:
        return None
    part = value.slice[0].slice
    if not isinstance(part, cst.Slice) or part.step is not None:
        return None
    return value.value.value


def _answer(call: cst.Call, name: str) -> cst.Call:
    part = call.args[0].value.slice[0].slice
    bounds = [part.lower or cst.Name("None"), part.upper or cst.Name("None")]
    new = cst.parse_expression(f"{_HELPER_NAME}({name}_prefix, {name}, lo, hi)")
    return new.with_changes(args=[*new.args[:2], new.args[2].with_changes(value=bounds[0]),
                                  new.args[3].with_changes(value=bounds[1])], lpar=call.lpar, rpar=call.rpar)
