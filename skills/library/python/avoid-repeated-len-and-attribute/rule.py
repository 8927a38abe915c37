"""Read ``self``'s plain attributes (and their sizes) once before a loop, not per iteration.

Rewrites, in a method::

    while i < len(self.samples):                 samples = self.samples
        total += self.samples[i] * self.k   ->   samples_len = len(samples)
        i += 1                                   k = self.k
                                                 while i < samples_len:
                                                     total += samples[i] * k
                                                     i += 1

Preconditions, proven from the code of the module:

1. the class is a top-level class with no bases (or ``object``), no decorators, no
   ``__getattr__``/``__getattribute__``/``__setattr__``/``__delattr__``, and no class in
   the module inherits from it; the attribute is not a name of the class body (no
   property, descriptor, method or class attribute of that name);
2. the attribute is a plain instance attribute set exactly once in the whole class, by a
   top-level statement of ``__init__`` (so it exists on every constructed instance), to a
   value of a built-in type: a display, a literal, a constructor call (``list(...)``...)
   or an ``__init__`` parameter annotated with a built-in type; it is never deleted;
3. ``self`` (the method's first parameter) is not rebound in the method and the method
   declares no ``global``/``nonlocal``;
4. the loop (an outermost ``for``/``while`` statement, or a statement holding a
   comprehension) assigns or deletes no attribute and deletes no item, calls only
   built-ins not rebound, methods of locals the method built and pure methods of strs,
   and has no ``yield``, ``await``, lambda, walrus or nested scope: nothing can rebind
   the attribute or change the size of its value while the loop runs.

Assumed, not proven: no subclass defined outside the module turns the attribute into a
property. ``len`` is hoisted only for container values (list, dict, set, tuple, str), and
for a list, dict or set only when no method of the class hands the value out (binds it to
a name or attribute, puts it in a display, returns it, passes it to a call that is not a
pure built-in): an alias could change its size inside the loop.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import (
    PURE_BUILTINS,
    calls_only_known,
    constructed_type,
    function_facts,
    split_type,
)

_HOOKS = {"__getattr__", "__getattribute__", "__setattr__", "__delattr__"}
_BUILTIN_HINTS = {"int", "float", "str", "bool", "bytes", "list", "dict", "set", "tuple", "frozenset"}
_MUTABLE = {"list", "dict", "set"}
_SIZED = {"list", "dict", "set", "tuple", "str", "frozenset", "bytes"}


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    mapping: dict[int, object] = {}
    classes = [s for s in module.body if isinstance(s, cst.ClassDef)]
    for cls in classes:
        attrs = _plain_attributes(cls, classes, shadowed)
        # an aliased mutable value may change size in the loop: read it once, never its len
        escaping = _escaping_attributes(cls, shadowed)
        attrs = {a: "object" if a in escaping and t in _MUTABLE else t for a, t in attrs.items()}
        if not attrs:
            continue
        for method in (s for s in cls.body.body if isinstance(s, cst.FunctionDef)):
            _plan_method(method, attrs, observed.get(f"{cls.name.value}.{method.name.value}"),
                         shadowed, ct.FreshNames(method), mapping)
    return ct.replace_nodes(module, mapping) if mapping else module


def _plain_attributes(cls: cst.ClassDef, classes, shadowed) -> dict[str, str]:
    """Plain instance attributes of ``cls`` with their built-in type (see precondition 2)."""
    if cls.decorators or any(not m.matches(b.value, m.Name("object")) for b in cls.bases) or cls.keywords:
        return {}
    if any(m.matches(b.value, m.Name(cls.name.value)) for other in classes for b in other.bases):
        return {}
    if not isinstance(cls.body, cst.IndentedBlock):
        return {}
    class_names = set()
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            class_names.add(stmt.name.value)
        else:
            class_names |= ct.collect(stmt).bound
    if class_names & _HOOKS:
        return {}
    init = next((s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
    if init is None or not init.params.params:
        return {}
    stores = _attribute_stores(cls)
    out = {}
    for stmt in ct.body_statements(init):
        found = _init_store(init, stmt, shadowed)
        if found is not None and found[0] not in class_names and stores.get(found[0]) == 1:
            out[found[0]] = found[1]
    return out


def _attribute_stores(cls: cst.ClassDef) -> dict[str, int]:
    """How many places in ``cls`` assign or delete ``<anything>.name``, per name (any
    receiver counts: an alias of self would do the same)."""
    counts: dict[str, int] = {}
    for node in ct.walk(cls):
        targets = []
        if isinstance(node, cst.AssignTarget | cst.AugAssign | cst.AnnAssign | cst.Del):
            targets = [node.target]
        for target in targets:
            for sub in ct.walk(target):
                if isinstance(sub, cst.Attribute):
                    counts[sub.attr.value] = counts.get(sub.attr.value, 0) + 1
    return counts


def _init_store(init: cst.FunctionDef, stmt, shadowed) -> tuple[str, str] | None:
    """(name, type) of a top-level ``self.name = <built-in value>`` in ``__init__``."""
    self_name = init.params.params[0].name.value
    pattern = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Attribute(value=m.Name(self_name)))])])
    if not m.matches(stmt, pattern):
        return None
    assign = stmt.body[0]
    kind = constructed_type(assign.value)
    if isinstance(assign.value, cst.Call) and kind is not None and assign.value.func.value in shadowed:
        kind = None
    if kind is None and isinstance(assign.value, cst.Name):
        kind = _param_hint(init, assign.value.value)
    if kind is None or kind in ("iterator", "deque", "Counter", "defaultdict", "OrderedDict"):
        return None
    return assign.targets[0].target.attr.value, kind


def _param_hint(func: cst.FunctionDef, name: str) -> str | None:
    if ct.binding_count(func.body, name):
        return None
    for param in func.params.params:
        if param.name.value == name and param.annotation is not None:
            head = split_type(cst.Module([]).code_for_node(param.annotation.annotation))[0]
            return head if head in _BUILTIN_HINTS else None
    return None


_READ_PARENTS = (cst.Subscript, cst.Attribute, cst.Comparison, cst.ComparisonTarget, cst.BinaryOperation,
                 cst.UnaryOperation, cst.For, cst.CompFor, cst.If, cst.While, cst.Expr, cst.AssignTarget,
                 cst.AugAssign, cst.Del)


def _escaping_attributes(cls: cst.ClassDef, shadowed) -> set[str]:
    """Attributes whose value some method of ``cls`` hands out: bound to a name or another
    attribute (``x = self.samples``), put in a display, returned, passed to a call that is
    not a pure built-in. Through such an alias the value may change size inside a loop
    that hoisted ``len(self.samples)``. Only reads whose parent merely consumes the value
    (an index, a method or operator, a comparison, a ``for``) are not escapes."""
    out: set[str] = set()
    for method in (s for s in cls.body.body if isinstance(s, cst.FunctionDef)):
        if not method.params.params:
            continue
        self_name = method.params.params[0].name.value
        parents = ct.parent_map(method)
        for node in ct.walk(method):
            if not m.matches(node, m.Attribute(value=m.Name(self_name))):
                continue
            parent = parents.get(id(node))
            if isinstance(parent, cst.AugAssign) and parent.target is not node:
                out.add(node.attr.value)
            elif isinstance(parent, cst.Arg):
                call = parents.get(id(parent))
                if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name)
                        and call.func.value in PURE_BUILTINS - shadowed):
                    out.add(node.attr.value)
            elif not isinstance(parent, _READ_PARENTS):
                out.add(node.attr.value)
    return out


def _plan_method(method, attrs, observed, shadowed, fresh, mapping) -> None:
    if not method.params.params or any(isinstance(n, cst.Global | cst.Nonlocal) for n in ct.walk(method)):
        return
    facts = function_facts(method, observed)
    self_name = method.params.params[0].name.value
    if self_name in facts.rebound:
        return
    for stmt, regions in ct.loop_regions(method.body):
        if ct.collect(stmt).impure or not calls_only_known(stmt, facts, shadowed) or _stores_attribute(stmt):
            continue
        reads = [n for region in regions for n in ct.walk(region)
                 if m.matches(n, m.Attribute(value=m.Name(self_name))) and n.attr.value in attrs]
        if reads:
            _alias(stmt, self_name, attrs, reads, shadowed, fresh, mapping)


def _stores_attribute(stmt) -> bool:
    for node in ct.walk(stmt):
        if isinstance(node, cst.Del):
            return True
        if isinstance(node, cst.AssignTarget | cst.AugAssign | cst.AnnAssign):
            if any(isinstance(sub, cst.Attribute) for sub in ct.walk(node.target)):
                return True
    return False


def _alias(stmt, self_name, attrs, reads, shadowed, fresh, mapping) -> None:
    """Bind each attribute read in ``stmt`` (and ``len`` of containers) to a local before it."""
    names: dict[str, str] = {}
    sizes: dict[str, str] = {}
    parents = ct.parent_map(stmt)
    lines = []
    for attr in sorted({r.attr.value for r in reads}, key=[r.attr.value for r in reads].index):
        names[attr] = fresh(attr)
        lines.append(cst.parse_statement(f"{names[attr]} = {self_name}.{attr}\n"))
    for node in ct.walk(stmt):
        if not (m.matches(node, m.Attribute(value=m.Name(self_name))) and node.attr.value in names):
            continue
        attr = node.attr.value
        call = _len_call(node, parents)
        if call is not None and "len" not in shadowed and attrs[attr] in _SIZED:
            if attr not in sizes:
                sizes[attr] = fresh(f"{names[attr]}_len")
                lines.append(cst.parse_statement(f"{sizes[attr]} = len({names[attr]})\n"))
            mapping[id(call)] = cst.Name(sizes[attr])
        else:
            mapping[id(node)] = cst.Name(names[attr])
    ct.insert_before(mapping, stmt, lines)


def _len_call(node, parents) -> cst.Call | None:
    arg = parents.get(id(node))
    call = parents.get(id(arg)) if isinstance(arg, cst.Arg) else None
    if isinstance(call, cst.Call) and ct.is_call_to(call, "len") and len(call.args) == 1 and not arg.keyword:
        return call
    return None
