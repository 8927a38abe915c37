"""Replace a scan for records with a matching key, repeated in a loop, by a dict index.

Rewrites an inner scan inside an outer loop::

    for q in queries:                      # any for/while loop
        for row in rows:
            if row["id"] == q:             # or q == row["id"], row[0], row itself
                BODY                       # may break / continue
        else:                              # optional
            ELSE

into an index of ``rows`` built once, right before the outer loop, grouping the records
per key in their original order, and a loop over only the matches::

    rows_by_id = {}
    for row in rows:
        rows_by_id.setdefault(row["id"], []).append(row)
    for q in queries:
        for row in rows_by_id.get(q, ()):
            BODY
        else:
            ELSE

The matches are visited in the same order, ``break``/``continue``/``else`` keep their
meaning, so first-match searches, last-match overwrites, counts and joins all keep their
result. The rule proves, from the code and the types (observed at run time, else
annotations):

1. the scanned collection is a list, tuple, set or frozenset never changed, rebound or
   handed out in the function, so an index built before the outer loop stays exact;
2. the record key (``row``, ``row[<literal>]``) and the probe (a name, or such a key of an
   enclosing loop's record) are of a type in
   :data:`~polca.skills.analysis.facts.HASH_CONSISTENT_SCALARS` (int, str, bool, bytes):
   hashing them cannot fail and a dict lookup matches exactly what ``==`` matched;
3. the probe reads no name bound inside the scan, and the record variable is neither
   changed in place nor used anywhere in the function outside the scan (after a scan
   without a match it would hold the last record; now it does not);
4. the outer loop calls only built-ins (not rebound in the module) and methods of locals
   the function built itself (lists, dicts, sets), has no ``yield``, ``await``, lambda or
   walrus, and the function declares no ``global``/``nonlocal``: nothing can change the
   records while the loop runs.

Assumed, not proven: every record has the key (a subscript that raises in a record the
original never reached now raises while the index is built); the differential check
catches a program where it does not hold.
"""

from __future__ import annotations

import libcst as cst

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    HASH_CONSISTENT_SCALARS,
    FunctionFacts,
    calls_only_known,
    element_type,
    function_facts,
    qualified_functions,
    split_type,
)

_COLLECTIONS = ("list", "tuple", "set", "frozenset", "List", "Tuple", "Set")


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(func)):
            continue
        facts = function_facts(func, observed.get(qualname))
        fresh = ct.FreshNames(func)
        for outer in ct.outer_loops(func.body):
            scans = _provable_scans(func, facts, outer, shadowed)
            if scans:
                _plan(fresh, outer, scans, mapping)
    return ct.replace_nodes(module, mapping) if mapping else module


def _provable_scans(func, facts: FunctionFacts, outer, shadowed) -> list[tuple[cst.For, str, cst.BaseExpression]]:
    """(scan, collection name, probe) for every scan directly in ``outer``'s body."""
    if getattr(outer, "asynchronous", None) or ct.collect(outer).impure or not calls_only_known(outer, facts, shadowed):
        return []
    scans = []
    for stmt in outer.body.body:
        match = _scan_shape(stmt)
        if match is not None and _scan_provable(func, facts, outer, stmt, *match, shadowed):
            scans.append((stmt, match[0], match[2]))
    return scans


def _scan_shape(stmt) -> tuple[str, cst.BaseExpression, cst.BaseExpression] | None:
    """(collection, key, probe) of ``for r in rows: if KEY == PROBE: ...``."""
    if not isinstance(stmt, cst.For) or stmt.asynchronous or not isinstance(stmt.target, cst.Name):
        return None
    if not isinstance(stmt.iter, cst.Name) or len(stmt.body.body) != 1:
        return None
    test = stmt.body.body[0]
    if not isinstance(test, cst.If) or test.orelse is not None or not isinstance(test.test, cst.Comparison):
        return None
    comparison = test.test
    if len(comparison.comparisons) != 1 or not isinstance(comparison.comparisons[0].operator, cst.Equal):
        return None
    record = stmt.target.value
    left, right = comparison.left, comparison.comparisons[0].comparator
    for key, probe in ((left, right), (right, left)):
        if _record_of(key) == record and record not in ct.names_read(probe):
            return stmt.iter.value, key, probe
    return None


def _record_of(expr: cst.BaseExpression) -> str | None:
    """The name ``expr`` keys into: ``r`` for ``r`` and ``r[<int or str literal>]``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and len(expr.slice) == 1:
        index = expr.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer | cst.SimpleString):
            return expr.value.value
    return None


def _key_type(expr: cst.BaseExpression, record_type: str | None) -> str | None:
    if isinstance(expr, cst.Name):
        return record_type
    head, args = split_type(record_type)
    if head in ("dict", "Dict") and len(args) == 2:
        return args[1]
    return element_type(record_type)


def _scan_provable(func, facts, outer, scan, rows, key, probe, shadowed) -> bool:
    record = scan.target.value
    head = split_type(facts.type_of(rows))[0]
    if head not in _COLLECTIONS or not facts.never_changed(rows) or record in facts.mutated:
        return False
    if _key_type(key, element_type(facts.type_of(rows))) not in HASH_CONSISTENT_SCALARS:
        return False
    if ct.loop_variable_read_after(func, scan):
        return False
    if ct.names_read(probe) & ct.collect(scan).bound:
        return False
    return _probe_type(func, facts, outer, scan, probe, shadowed) in HASH_CONSISTENT_SCALARS


def _probe_type(func, facts, outer, scan, probe, shadowed) -> str | None:
    """The probe's type: a name never rebound, or the loop variable (or its key) of a
    loop enclosing the scan over a collection never changed, or over ``range``."""
    base = _record_of(probe)
    if base is None:
        return None
    for loop in ct.walk(outer):
        if isinstance(loop, cst.For) and m_target(loop) == base and id(scan) in {id(n) for n in ct.walk(loop)}:
            if ct.binding_count(func, base) != 1:
                return None
            if isinstance(probe, cst.Name) and "range" not in shadowed and ct.is_call_to(loop.iter, "range"):
                return "int"
            if isinstance(loop.iter, cst.Name) and facts.never_changed(loop.iter.value):
                return _key_type(probe, element_type(facts.type_of(loop.iter.value)))
            return None
    if isinstance(probe, cst.Name) and base not in facts.rebound | facts.mutated:
        return facts.type_of(base)
    return None


def m_target(loop: cst.For) -> str | None:
    return loop.target.value if isinstance(loop.target, cst.Name) else None


def _plan(fresh, outer, scans, mapping) -> None:
    """Record the edits: index builds before ``outer``, each scan over its matches only."""
    code = cst.Module([]).code_for_node
    indexes: dict[tuple[str, str], str] = {}
    builds = []
    for scan, rows, probe in scans:
        key = _key_of(scan)
        spot = (rows, code(key))
        if spot not in indexes:
            name = fresh(f"{rows}_by_{_key_label(key)}")
            indexes[spot] = name
            record = scan.target.value
            builds += [
                cst.parse_statement(f"{name} = {{}}\n"),
                cst.parse_statement(
                    f"for {record} in {rows}:\n    {name}.setdefault({code(key)}, []).append({record})\n"),
            ]
        lookup = cst.parse_expression(f"{indexes[spot]}.get({code(probe)}, ())")
        mapping[id(scan)] = _narrowed(scan, lookup)
    ct.insert_before(mapping, outer, builds)


def _key_of(scan: cst.For) -> cst.BaseExpression:
    comparison = scan.body.body[0].test
    left, right = comparison.left, comparison.comparisons[0].comparator
    return left if _record_of(left) == scan.target.value and scan.target.value not in ct.names_read(right) else right


def _key_label(key: cst.BaseExpression) -> str:
    if isinstance(key, cst.Subscript):
        index = key.slice[0].slice.value
        if isinstance(index, cst.SimpleString) and index.evaluated_value.isidentifier():
            return index.evaluated_value
        return "key"
    return "value"


def _narrowed(scan: cst.For, lookup: cst.BaseExpression):
    def build(updated: cst.For) -> cst.For:
        return updated.with_changes(iter=lookup, body=updated.body.body[0].body)
    return build
