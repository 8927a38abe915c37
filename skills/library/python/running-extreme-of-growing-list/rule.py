"""Keep the max (or min) of a list that only grows, instead of rescanning it.

Rewrites::

    history = []                          history = []
                                          _history_max = None
    for r in readings:                    for r in readings:
        history.append(r)        ->           history.append(r)
                                              _history_max = r if len(history) == 1 else max(_history_max, r)
        best = max(history)                   best = _history_max

``max(L)`` scans the whole list on every call (quadratic over the loop); the running value
is one comparison per item (``_L_max`` starts as None beside the list's binding, so it
is bound wherever it is read). The list itself is still built, so everything else that reads
it is unchanged. ``max(m, v)`` over the old maximum ``m`` and the new item ``v`` keeps ``m``
unless ``v > m``, which is exactly the next step of the scan ``max(L + [v])`` makes
(``min``: unless ``v < m``), ties and NaN included. Preconditions, proven from the code
and the types (observed at run time, else annotations):

1. ``L`` is a local bound exactly once, by ``L = []`` (or ``list()``), in a function
   without ``global``/``nonlocal``, nested functions, lambdas or classes;
2. ``L`` is grown in exactly one place, a statement ``L.append(v)`` directly in the body
   of a ``for``/``while`` loop, with ``v`` a plain name; every other use of ``L`` reads
   it without changing it or handing it on: ``max(L)``/``min(L)`` (one argument),
   ``len(L)``, a truth test, iteration, an index read, or ``return L`` (or in a returned
   tuple); nothing can
   change ``L`` behind the running value;
3. every ``max(L)``/``min(L)`` is in a statement after the append in the same loop body
   (and not inside a nested loop there), so the list is never empty there and the running
   value is current; the append's ``v`` is not rebound between the append and those reads;
4. ``v`` holds an ``int``, ``float``, ``bool`` or ``str`` by type (:func:`typed_names`):
   comparisons are built-in and free of effects, so making fewer of them changes nothing;
5. ``max``/``min``/``len``/``list`` are not rebound in the module and ``_L_max`` /
   ``_L_min`` are new names.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import qualified_functions, typed_names

_SCALARS = {"int", "float", "bool", "str"}
_EXTREMES = ("max", "min")


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    if {"max", "min", "len", "list"} & shadowed:
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        if any(isinstance(n, cst.Global | cst.Nonlocal | cst.Lambda | cst.ClassDef) for n in ct.walk(func.body)):
            continue
        if any(isinstance(n, cst.FunctionDef) for n in ct.walk(func.body)):
            continue
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        for name in _grown_lists(func):
            mapping.update(_plan(func, name, types, shadowed))
    return ct.replace_nodes(module, mapping) if mapping else module


def _grown_lists(func: cst.FunctionDef) -> list[str]:
    empty = m.List(elements=[]) | m.Call(func=m.Name("list"), args=[])
    return [node.targets[0].target.value for node in ct.walk(func.body)
            if m.matches(node, m.Assign(targets=[m.AssignTarget(m.Name())], value=empty))]


def _plan(func: cst.FunctionDef, name: str, types, shadowed: set[str]) -> dict[int, object]:
    assign = ct.local_list_assign(func, name)
    if assign is None:
        return {}
    parents = ct.parent_map(func)
    binding = parents.get(id(assign))
    if not isinstance(binding, cst.SimpleStatementLine) or len(binding.body) != 1:
        return {}
    appends, reads = [], []
    for ref in ct.name_refs(func.body, name):
        parent = parents.get(id(ref))
        if isinstance(parent, cst.AssignTarget):
            continue  # the one binding
        method = ct.method_call_on(ref, parents)
        if method is not None and method[0] == "append":
            appends.append(method[1])
        elif (extreme := _extreme_call(ref, parents)) is not None:
            reads.append(extreme)
        elif not _plain_read(ref, parents, shadowed):
            return {}
    if len(appends) != 1 or not reads:
        return {}
    return _running(func, name, binding, appends[0], reads, parents, types)


def _extreme_call(ref: cst.Name, parents) -> cst.Call | None:
    arg = parents.get(id(ref))
    call = parents.get(id(arg)) if isinstance(arg, cst.Arg) else None
    if (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in _EXTREMES
            and len(call.args) == 1 and arg.keyword is None and arg.star == ""):
        return call
    return None


def _plain_read(ref: cst.Name, parents, shadowed: set[str]) -> bool:
    parent = parents.get(id(ref))
    if ct.is_truth_test(ref, parents) or ct.is_len_of(ref, parents, shadowed):
        return True
    if isinstance(parent, cst.For | cst.CompFor):
        return parent.iter is ref
    if isinstance(parent, cst.Subscript):
        return parent.value is ref and not isinstance(parents.get(id(parent)), cst.AssignTarget | cst.Del)
    if isinstance(parent, cst.Element) and isinstance(parents.get(id(parent)), cst.Tuple):
        parent = parents.get(id(parents.get(id(parent))))  # return bests, history
    return isinstance(parent, cst.Return)


def _running(func, name, binding, append: cst.Call, reads, parents, types) -> dict[int, object]:
    statement = parents.get(id(append))
    line = parents.get(id(statement))
    body = parents.get(id(line))
    if not (isinstance(statement, cst.Expr) and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
            and isinstance(body, cst.IndentedBlock) and isinstance(parents.get(id(body)), cst.For | cst.While)):
        return {}
    args = append.args
    if len(args) != 1 or args[0].keyword or args[0].star or not isinstance(args[0].value, cst.Name):
        return {}
    item = args[0].value.value
    if types.get(item) not in _SCALARS:
        return {}
    after = list(body.body)[list(body.body).index(line) + 1:]
    later = {id(n) for stmt in after if not _has_loop(stmt) for n in ct.walk(stmt)}
    if not all(id(call) in later for call in reads):
        return {}
    if any(item in ct.collect(stmt).bound for stmt in after):
        return {}  # the running value must be the item the list got
    kinds = {call.func.value for call in reads}
    extras, starts, mapping = [], [], {}
    for kind in sorted(kinds):
        running = f"_{name}_{kind}"
        if ct.binding_count(func, running) or running in ct.names_read(func):
            return {}
        starts.append(cst.parse_statement(f"{running} = None\n"))
        extras.append(cst.parse_statement(
            f"{running} = {item} if len({name}) == 1 else {kind}({running}, {item})\n"))
        mapping.update({id(call): cst.Name(running) for call in reads if call.func.value == kind})
    mapping[id(line)] = lambda new: cst.FlattenSentinel([new, *extras])
    mapping[id(binding)] = lambda new: cst.FlattenSentinel([new, *starts])
    return mapping


def _has_loop(stmt: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.For | cst.While) for n in ct.walk(stmt))
