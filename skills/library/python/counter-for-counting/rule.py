"""Rewrite a dict counting loop into ``dict(Counter(...))``.

Rewrites::

    counts = {}
    for raw in items:
        word = raw.strip(".,").lower()    # any number of derived keys ...
        if word in STOP:                  # ... and ``continue`` filters, in any order
            continue
        if word in counts:                # or: counts[word] = counts.get(word, 0) + 1
            counts[word] += 1             # (``in counts.keys()``, ``= counts[word] + 1``,
        else:                             # ``not in`` with the branches swapped)
            counts[word] = 1

into ``counts = dict(Counter(word for raw in items for word in [raw.strip(".,").lower()]
if not (word in STOP)))``, or ``dict(Counter(items))`` when the loop counts its own items
from an iterable that is certainly not a mapping, when all of these are proven:

1. the two statements are adjacent in a function body (not inside ``try``), the loop has
   no ``else``, and its target is a single name;
2. the loop body is zero or more steps, each ``name = expr`` or ``if cond: continue``,
   then one of the two counting forms, keyed by the loop variable or a derived name: the
   generator evaluates the same expressions in the same order, so side effects,
   exceptions and the first-seen order of keys are those of the loop;
3. no step and not ``items`` mentions ``counts`` (a read of the partial counts would
   see other values), no step holds ``lambda``, ``yield``, ``await``, a walrus or a call
   to ``locals``/``vars``/``eval``/``exec``/``super`` (the generator is a scope of its own),
   and nothing nested in the function refers to ``counts``;
4. the loop variable and the derived names are used nowhere in the function outside the
   loop, and none is declared ``global``/``nonlocal``;
5. ``Counter`` is unbound in the module or bound only by ``from collections import
   Counter``; the rule adds that import when missing. ``dict`` is not rebound.

``Counter(items)`` reads a mapping's values as counts, so the plain form is used only for
a display, a comprehension or a name proven to hold a list,
tuple, str or set; any other iterable is counted through a generator. The result is
wrapped in ``dict(...)`` so that later ``counts[missing]`` still raises KeyError and the
type the caller sees stays ``dict``.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import function_facts, qualified_functions, split_type

_IMPORT = "from collections import Counter"
_SCOPE_CALLS = {"locals", "vars", "eval", "exec", "super"}
_SEQUENCES = {"list", "tuple", "str", "set", "frozenset"}
_CODE = cst.Module([])


def rewrite(module: cst.Module, observed=None) -> cst.Module:
    has_import = any(_CODE.code_for_node(s).strip() == _IMPORT for s in module.body)
    if "dict" in ct.module_bindings(module) or ct.binding_count(module, "Counter") > (1 if has_import else 0):
        return module
    qualified = {id(func): name for name, func in qualified_functions(module)}
    mapping: dict[int, object] = {}
    for func in ct.functions(module):
        body = ct.body_statements(func)
        for init, loop in zip(body, body[1:], strict=False):
            plan = _counting_pair(func, init, loop)
            if plan is not None:
                facts = function_facts(func, (observed or {}).get(qualified.get(id(func), ""), {}))
                new = cst.parse_statement(f"{plan[0]} = dict(Counter({_counted(loop, plan, facts)}))\n")
                mapping[id(init)] = new.with_changes(leading_lines=init.leading_lines)
                mapping[id(loop)] = cst.RemovalSentinel.REMOVE
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), _IMPORT)


def _counting_pair(func, init, loop) -> tuple[str, str, list] | None:
    """(counts name, key name, steps) of a counting loop right after ``counts = {}``."""
    empty = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Dict(elements=[]))])
    if not m.matches(init, empty) or not isinstance(loop, cst.For) or loop.orelse or loop.asynchronous:
        return None
    if not isinstance(loop.target, cst.Name) or not isinstance(loop.body, cst.IndentedBlock):
        return None
    name = init.body[0].targets[0].target.value
    *steps, last = loop.body.body
    key = _count_key(last, name)
    derived = [_derived_name(s) for s in steps if _derived_name(s) is not None]
    if key is None or key not in {loop.target.value, *derived} or name in derived:
        return None
    if not all(_is_step(s) and _pure_step(s, name) for s in steps) or ct.name_refs(loop.iter, name):
        return None
    locals_ = {loop.target.value, *derived}
    if any(ct.read_outside(func, n, loop) for n in locals_) or locals_ & _declared(func, name):
        return None
    return None if _seen_by_nested_scope(func, name) else (name, key, steps)


def _counted(loop: cst.For, plan, facts) -> str:
    """The iterable ``Counter`` gets: the loop's own, or a generator over its steps."""
    _, key, steps = plan
    target = loop.target.value
    if not steps and key == target and _not_a_mapping(loop.iter, facts):
        return _CODE.code_for_node(loop.iter)
    clauses = [f"{key} for {target} in {_CODE.code_for_node(loop.iter)}"]
    for step in steps:
        if isinstance(step, cst.If):
            clauses.append(f"if {_negated(step.test)}")
        else:
            assign = step.body[0]
            clauses.append(f"for {assign.targets[0].target.value} in [{_CODE.code_for_node(assign.value)}]")
    return " ".join(clauses)


def _not_a_mapping(expr: cst.BaseExpression, facts) -> bool:
    if isinstance(expr, cst.List | cst.Tuple | cst.Set | cst.ListComp | cst.SetComp | cst.GeneratorExp
                  | cst.SimpleString | cst.FormattedString):
        return True
    if isinstance(expr, cst.Name):
        return facts.never_changed(expr.value) and split_type(facts.type_of(expr.value))[0] in _SEQUENCES
    return False


def _negated(test: cst.BaseExpression) -> str:
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _CODE.code_for_node(test.expression)
    return f"not ({_CODE.code_for_node(test)})"


def _derived_name(stmt: cst.BaseStatement) -> str | None:
    derive = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])
    return stmt.body[0].targets[0].target.value if m.matches(stmt, derive) else None


def _is_step(stmt: cst.BaseStatement) -> bool:
    skip = m.If(body=m.IndentedBlock(body=[m.SimpleStatementLine(body=[m.Continue()])]), orelse=None)
    return _derived_name(stmt) is not None or m.matches(stmt, skip)


def _pure_step(stmt: cst.BaseStatement, name: str) -> bool:
    expr = stmt.test if isinstance(stmt, cst.If) else stmt.body[0].value
    facts = ct.collect(expr)
    return facts.impure == 0 and not facts.read & (_SCOPE_CALLS | {name})


def _declared(func: cst.FunctionDef, name: str) -> set[str]:
    """Names declared ``global`` or ``nonlocal`` anywhere in ``func`` (with ``name`` if it is)."""
    return {item.name.value for node in ct.walk(func) if isinstance(node, cst.Global | cst.Nonlocal)
            for item in node.names}


def _seen_by_nested_scope(func: cst.FunctionDef, name: str) -> bool:
    own = {id(n) for n in ct.own_nodes(func)}
    return name in _declared(func, name) or any(id(ref) not in own for ref in ct.name_refs(func.body, name))


def _count_key(stmt: cst.BaseStatement, name: str) -> str | None:
    for key in ct.names_read(stmt):
        if _if_else_form(stmt, name, key) or _get_form(stmt, name, key):
            return key
    return None


def _item(name: str, key: str):
    return m.Subscript(value=m.Name(name), slice=[m.SubscriptElement(slice=m.Index(value=m.Name(key)))])


def _one(statement) -> m.IndentedBlock:
    return m.IndentedBlock(body=[m.SimpleStatementLine(body=[statement])])


def _if_else_form(stmt: cst.BaseStatement, name: str, key: str) -> bool:
    """``if key in counts: <add one> else: counts[key] = 1``, the test also written
    ``key in counts.keys()`` (the same lookup on a dict) or ``key not in counts`` with the
    branches swapped, the increment ``counts[key] += 1`` or ``counts[key] = counts[key] + 1``."""
    where = m.Name(name) | m.Call(func=m.Attribute(value=m.Name(name), attr=m.Name("keys")), args=[])

    def test(op) -> m.Comparison:
        return m.Comparison(left=m.Name(key), comparisons=[m.ComparisonTarget(operator=op, comparator=where)])

    increment = _one(m.AugAssign(target=_item(name, key), operator=m.AddAssign(), value=m.Integer("1")) | m.Assign(
        targets=[m.AssignTarget(_item(name, key))],
        value=m.BinaryOperation(left=_item(name, key), operator=m.Add(), right=m.Integer("1"))))
    first = _one(m.Assign(targets=[m.AssignTarget(_item(name, key))], value=m.Integer("1")))
    return m.matches(stmt, m.If(test=test(m.In()), body=increment, orelse=m.Else(body=first))) or m.matches(
        stmt, m.If(test=test(m.NotIn()), body=first, orelse=m.Else(body=increment)))


def _get_form(stmt: cst.BaseStatement, name: str, key: str) -> bool:
    get = m.Call(
        func=m.Attribute(value=m.Name(name), attr=m.Name("get")),
        args=[m.Arg(value=m.Name(key), keyword=None), m.Arg(value=m.Integer("0"), keyword=None)],
    )
    value = m.BinaryOperation(left=get, operator=m.Add(), right=m.Integer("1"))
    return m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(_item(name, key))], value=value)]))
