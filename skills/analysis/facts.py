"""Facts about a function that rules read their preconditions from.

A rule may rewrite ``x in items`` into a set lookup only if ``items`` is never changed in
place and never rebound; it may hoist ``len(items)`` out of a loop only under the same
facts; it may call ``sorted`` on a parameter only if the values it sees are comparable.
:func:`function_facts` answers such questions once per function, conservatively (when
unsure a name counts as mutated), from the code and from the types the oracle observed
at run time for the parameters (:func:`observed_type` describes a runtime value).

    facts = function_facts(func, observed={"items": "list[int]"})
    facts.never_changed("items")   # not mutated, not rebound, never handed to unknown code
    facts.type_of("items")         # "list[int]": observed; "list" for ``x = []``

Rules get observed types through :func:`polca.skills.rules.apply_rule` (``observed``),
keyed by the function's qualified name (:func:`qualified_functions`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from polca.skills.cst_tools import (
    is_hashable_expr,
    range_loop_names,
    settle,
    str_names,
    target_names,
    walk,
)

MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "add", "discard",
    "update", "setdefault", "popitem", "appendleft", "popleft", "extendleft", "rotate",
    "difference_update", "intersection_update", "symmetric_difference_update", "__setitem__",
    "__delitem__", "__iadd__", "resize", "fill", "put", "itemset", "sort_values",
})
"""Methods that change their receiver in place (list, set, dict, deque, numpy)."""

PURE_BUILTINS = frozenset({
    "len", "sorted", "sum", "min", "max", "any", "all", "set", "list", "tuple", "dict", "frozenset",
    "enumerate", "zip", "iter", "reversed", "str", "repr", "print", "isinstance", "range", "map",
    "filter", "abs", "round", "hash", "id", "type", "bool", "int", "float", "bytes", "ord", "chr",
    "format", "divmod", "pow", "next", "issubclass", "callable", "hex", "bin", "oct",
})
"""Built-ins that never change their arguments, so passing a value to them is not an escape."""

_CONSTRUCTED = {
    cst.List: "list", cst.ListComp: "list", cst.Set: "set", cst.SetComp: "set", cst.Dict: "dict",
    cst.DictComp: "dict", cst.Tuple: "tuple", cst.SimpleString: "str", cst.ConcatenatedString: "str",
    cst.FormattedString: "str", cst.Integer: "int", cst.Float: "float", cst.GeneratorExp: "iterator",
}
_CONSTRUCTORS = frozenset({"list", "set", "dict", "tuple", "frozenset", "str", "int", "float", "bytes",
                           "deque", "Counter", "defaultdict", "OrderedDict", "sorted"})


@dataclass(frozen=True)
class FunctionFacts:
    """What one function does with its names (see the module docstring)."""

    params: tuple[str, ...]
    mutated: frozenset[str]  # changed in place: x.append(...), x[i] = ..., del x[i], x += ..., x.a = ...
    rebound: frozenset[str]  # locals bound more than once; parameters bound at all in the body
    escapes: frozenset[str]  # handed to code whose effect is unknown (a call, a yield, a return, a store)
    global_names: frozenset[str]  # names declared ``global`` or ``nonlocal``
    local_types: Mapping[str, str] = field(default_factory=dict)  # from literals, constructors, hints
    observed: Mapping[str, str] = field(default_factory=dict)  # parameters' runtime types, from the oracle

    def never_changed(self, name: str) -> bool:
        """``name`` keeps one value, unchanged in place, for the whole call, and nothing
        else in the function could change it either."""
        return not ({name} & (self.mutated | self.rebound | self.escapes | self.global_names))

    def type_of(self, name: str) -> str | None:
        """The runtime type observed for a parameter, else what the code shows, else None."""
        return self.observed.get(name) or self.local_types.get(name)

    def is_param(self, name: str) -> bool:
        return name in self.params


def qualified_functions(module: cst.Module) -> Iterator[tuple[str, cst.FunctionDef]]:
    """Every function of ``module`` at module level or in a top-level class, with its
    qualified name (``solve``, ``Grid.step``), the key of ``observed`` types."""
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            yield statement.name.value, statement
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for inner in statement.body.body:
                if isinstance(inner, cst.FunctionDef):
                    yield f"{statement.name.value}.{inner.name.value}", inner


def function_facts(func: cst.FunctionDef, observed: Mapping[str, str] | None = None) -> FunctionFacts:
    """The facts of ``func``; ``observed`` maps its parameters to runtime type descriptions."""
    params = tuple(p.name.value for p in walk(func.params) if isinstance(p, cst.Param))
    visitor = _Facts()
    func.body.visit(visitor)
    rebound = {n for n, count in visitor.bindings.items() if count > 1 or n in params}
    hinted = {p.name.value: _hint(p.annotation) for p in walk(func.params)
              if isinstance(p, cst.Param) and p.annotation is not None}
    local_types = {**{n: t for n, t in hinted.items() if t}, **{
        n: t for n, t in visitor.constructed.items() if visitor.bindings.get(n) == 1}}
    return FunctionFacts(params=params, mutated=frozenset(visitor.mutated), rebound=frozenset(rebound),
                         escapes=frozenset(visitor.escapes), global_names=frozenset(visitor.globals),
                         local_types=local_types, observed=dict(observed or {}))


def observed_type(value: Any, depth: int = 0) -> str:
    """A short description of a runtime value's type: ``list[int]``, ``dict[str, list[str]]``,
    ``tuple[int, str]``; containers of mixed or unknown contents say ``list[object]``, but ints
    and floats together say ``float`` (:func:`merge_observed`)."""
    name = type(value).__name__
    if depth > 3 or type(value) not in (list, set, frozenset, tuple, dict):
        return name
    if isinstance(value, dict):
        keys = {observed_type(k, depth + 1) for k in value}
        values = {observed_type(v, depth + 1) for v in value.values()}
        return f"dict[{_one(keys)}, {_one(values)}]" if value else "dict"
    items = {observed_type(v, depth + 1) for v in value}
    return f"{name}[{_one(items)}]" if value else name


def merge_observed(a: str | None, b: str) -> str:
    """One description for two observations of the same parameter (``object`` inside when they
    differ). Ints seen beside floats say ``float``: the value is a number of either kind, so a
    rule must treat it as a float (a rewrite exact only for ints must not read ``int``), and a
    rule right for floats stays right for the ints among them (their mixed arithmetic is float
    arithmetic)."""
    if a is None or a == b:
        return b
    if {a, b} == _MIXED_NUMBERS:
        return "float"
    (head_a, args_a), (head_b, args_b) = split_type(a), split_type(b)
    if head_a == head_b and not args_a:
        return b  # an empty container seen beside a full one
    if head_a == head_b and not args_b:
        return a
    if head_a == head_b and len(args_a) == len(args_b):
        return f"{head_a}[{', '.join(merge_observed(x, y) for x, y in zip(args_a, args_b, strict=True))}]"
    return f"{head_a}[object]" if head_a == head_b else "object"


_MIXED_NUMBERS = frozenset({"int", "float"})


def _one(types: set[str]) -> str:
    if types == _MIXED_NUMBERS:
        return "float"
    return next(iter(types)) if len(types) == 1 else "object"


def _hint(annotation: cst.Annotation) -> str:
    return cst.Module([]).code_for_node(annotation.annotation).replace("List[", "list[").replace(
        "Dict[", "dict[").replace("Set[", "set[")


class _Facts(cst.CSTVisitor):
    """One pass over a body: bindings per name, names changed in place, escapes, globals."""

    def __init__(self) -> None:
        self.bindings: dict[str, int] = {}
        self.mutated: set[str] = set()
        self.escapes: set[str] = set()
        self.globals: set[str] = set()
        self.constructed: dict[str, str] = {}
        self._targets: set[int] = set()  # ids of displays that are binding targets, not values

    def _bind(self, target: cst.BaseExpression) -> None:
        for name in target_names(target):
            self.bindings[name] = self.bindings.get(name, 0) + 1
        self._targets |= {id(n) for n in walk(target) if isinstance(n, cst.Tuple | cst.List)}
        self._store_into(target)

    def _held(self, *values: cst.BaseExpression | None) -> None:
        """A name placed in a container or yielded by a comprehension gets a second
        reference (``box = [rows]``; ``box[0][0] = q`` then changes ``rows``): it escapes."""
        self.escapes |= {v.value for v in values if isinstance(v, cst.Name)}

    def _display(self, node: cst.List | cst.Tuple | cst.Set) -> None:
        if id(node) not in self._targets:
            self._held(*(e.value for e in node.elements if isinstance(e, cst.Element)))

    visit_List = visit_Tuple = visit_Set = _display

    def visit_Dict(self, node: cst.Dict) -> None:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self._held(element.key, element.value)

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp) -> None:
        self._held(node.elt)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = _comprehension

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._held(node.key, node.value)

    def _store_into(self, target: cst.BaseExpression) -> None:
        """``x[i] = ...``, ``x.a = ...`` and such inside tuple targets change ``x`` in place."""
        for node in walk(target):
            if isinstance(node, cst.Subscript | cst.Attribute) and isinstance(node.value, cst.Name):
                self.mutated.add(node.value.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target)
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            kind = _constructed_type(node.value)
            if kind:
                self.constructed[node.targets[0].target.value] = kind
        if isinstance(node.value, cst.Name):  # y = x: a second name for the same object
            self.escapes.add(node.value.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)
        if isinstance(node.target, cst.Name) and (hint := _hint(node.annotation)):
            self.constructed[node.target.value] = hint

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target)
        if isinstance(node.target, cst.Name):
            self.mutated.add(node.target.value)  # in place for lists, a rebinding for the rest

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(node.target)

    def visit_Global(self, node: cst.Global) -> None:
        self.globals |= {n.name.value for n in node.names}

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.globals |= {n.name.value for n in node.names}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            if func.attr.value in MUTATING_METHODS:
                self.mutated.add(func.value.value)
        pure = isinstance(func, cst.Name) and func.value in PURE_BUILTINS
        for arg in node.args:
            if not pure and isinstance(arg.value, cst.Name):
                self.escapes.add(arg.value.value)

    def visit_Return(self, node: cst.Return) -> None:
        if isinstance(node.value, cst.Name):
            self.escapes.add(node.value.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, cst.Name):
            self.escapes.add(node.value.value)

    def _nested_scope(self, node: cst.CSTNode) -> None:
        """A nested function or lambda may change anything it reads: all its names escape."""
        self.escapes |= {n.value for n in walk(node) if isinstance(n, cst.Name)}

    visit_Lambda = visit_FunctionDef = visit_ClassDef = _nested_scope


def _constructed_type(value: cst.BaseExpression) -> str | None:
    for kind, name in _CONSTRUCTED.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in _CONSTRUCTORS:
        return value.func.value
    return None


# ---- numeric facts (for the math-builtins, closed-form-arithmetic, numpy-vectorize rules) ----

_NUMERIC = frozenset({"int", "bool", "float"})
_ITERABLE_HEADS = frozenset({"list", "set", "frozenset", "deque", "List", "Set", "FrozenSet", "Deque",
                             "Sequence", "Iterable"})


HASH_CONSISTENT_SCALARS = frozenset({"int", "str", "bool", "bytes"})
"""Built-in types whose ``==`` agrees with ``hash`` and with each other: a dict lookup finds
exactly the keys a linear ``==`` scan would match (floats are left out: ``nan != nan``,
yet a dict finds the same nan object by identity)."""


def split_type(description: str | None) -> tuple[str, tuple[str, ...]]:
    """The head of a type description and its top-level arguments:
    ``"dict[str, list[int]]"`` -> ``("dict", ("str", "list[int]"))``; ``"int"`` -> ``("int", ())``;
    None or "" -> ``("", ())``."""
    if not description:
        return "", ()
    text = description.strip()
    head, bracket, rest = text.partition("[")
    if not bracket or not rest.endswith("]"):
        return text, ()
    args, depth, start = [], 0, 0
    inner = rest[:-1]
    for i, char in enumerate(inner):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            args.append(inner[start:i].strip())
            start = i + 1
    args.append(inner[start:].strip())
    return head.strip(), tuple(a for a in args if a)


def element_type(description: str | None) -> str | None:
    """What iterating a value of this type gives: ``int`` for ``list[int]``, ``set[int]``,
    ``deque[int]``, ``tuple[int, ...]`` or ``tuple[int, int]`` (typing's capitalised and
    dotted names too); ``str`` for ``str``; None when unknown or mixed (``tuple[int, str]``)."""
    if description == "str":
        return "str"
    head, args = split_type(description)
    head = head.rsplit(".", 1)[-1]
    if head in _ITERABLE_HEADS and len(args) == 1:
        return args[0]
    if head in ("tuple", "Tuple") and args:
        items = args[:-1] if len(args) == 2 and args[1] == "..." else args
        return items[0] if len(set(items)) == 1 and items[0] != "..." else None
    return None


_SIZED_HEADS = frozenset({"str", "bytes", "list", "tuple", "dict", "set", "frozenset",
                          "List", "Tuple", "Dict", "Set", "FrozenSet"})


def is_sized_type(description: str | None) -> bool:
    """Values of this type always have a ``len`` (str, bytes, list, tuple, dict, set,
    frozenset): a rule may call ``len`` on them where the original never did."""
    return split_type(description)[0].rsplit(".", 1)[-1] in _SIZED_HEADS


def typed_names(func: cst.FunctionDef, observed: Mapping[str, str] | None = None,
                shadowed: frozenset[str] | set[str] = frozenset()) -> dict[str, str]:
    """Names of ``func`` that hold one known type for the whole call: parameters with an
    observed or hinted type that the body never binds; locals bound exactly once, by a
    ``for`` over ``range(...)`` (``int``), over a typed name (its element type, tuples
    unpacked) or by an int/float literal. Conservative: a name bound any other way, or
    declared global/nonlocal, is absent."""
    facts = function_facts(func, observed)
    visitor = _Facts()
    func.body.visit(visitor)
    once = {n for n, count in visitor.bindings.items() if count == 1} - facts.global_names
    out = {p: t for p in facts.params if (t := facts.type_of(p)) and p not in visitor.bindings
           and p not in facts.global_names}
    for node in walk(func.body):
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0].target, cst.Name) and isinstance(node.value, cst.Integer | cst.Float):
            name = node.targets[0].target.value
            if name in once:
                out[name] = "int" if isinstance(node.value, cst.Integer) else "float"
        elif isinstance(node, cst.For | cst.CompFor):
            _bind_loop_types(node, out, once, shadowed)
    return out


def _bind_loop_types(node: cst.For | cst.CompFor, out: dict[str, str], once: set[str],
                     shadowed: frozenset[str] | set[str]) -> None:
    source = node.iter
    if (isinstance(source, cst.Call) and isinstance(source.func, cst.Name)
            and source.func.value == "range" and "range" not in shadowed):
        element = "int"
    elif isinstance(source, cst.Name):
        element = element_type(out.get(source.value))
    else:
        return
    _unpack(node.target, element, out, once)


def _unpack(target: cst.BaseExpression, description: str | None, out: dict[str, str],
            once: set[str]) -> None:
    if description is None:
        return
    if isinstance(target, cst.Name):
        if target.value in once:
            out[target.value] = description
        return
    head, args = split_type(description)
    if isinstance(target, cst.Tuple | cst.List) and head == "tuple" and len(args) == len(target.elements):
        for element, arg in zip(target.elements, args, strict=True):
            if isinstance(element, cst.Element):
                _unpack(element.value, arg, out, once)


def is_numeric_type(description: str | None) -> bool:
    """``int``, ``bool`` or ``float``: values whose arithmetic is the built-in one."""
    return description in _NUMERIC


# --- Hashable values from observed types (for the membership and de-duplication rules) ---

_HASHABLE_TYPE_WORDS = frozenset({"int", "str", "float", "bool", "bytes", "complex", "NoneType", "tuple", "frozenset"})
_TYPE_WORD = re.compile(r"[A-Za-z_]\w*")
_SEQUENCE_HEADS = ("list", "tuple", "set", "frozenset", "List", "Tuple", "Set", "Sequence", "FrozenSet")


def is_hashable_type(kind: str) -> bool:
    """A type description (``int``, ``tuple[int, str]``, as :func:`facts.observed_type` or an
    annotation writes it) that only built-in hashable types make up."""
    words = _TYPE_WORD.findall(kind)
    return bool(words) and all(w in _HASHABLE_TYPE_WORDS or w == "Tuple" for w in words)


def typed_hashable_names(func: cst.FunctionDef, type_of, rebound: Iterable[str], shadowed: Iterable[str],
                         typed: Mapping[str, str] | None = None) -> set[str]:
    """Names of ``func`` that always hold a hashable built-in value: parameters whose type
    (``type_of(name)``) is hashable and which are never rebound, ``for`` targets (or the
    names a tuple target unpacks) over a never-rebound name whose elements are of a
    hashable type, ``range`` loop variables, names that always hold a ``str``
    (:func:`polca.skills.cst_tools.str_names`: ``key = addr.lower()`` over a ``list[str]``),
    and locals every binding of which is a proven-hashable expression
    (:func:`is_hashable_expr`) or an item of a name ``typed`` (:func:`typed_names`) as a
    container of hashable values (``tag = rec["tag"]`` with ``rec`` a ``dict[str, int]``)."""
    shadow, moved = set(shadowed), set(rebound)
    params = {p.name.value for p in walk(func.params) if isinstance(p, cst.Param)}
    proven = {p for p in params if p not in moved and is_hashable_type(type_of(p) or "")}
    proven |= str_names(func, type_of, moved, shadow)
    items = typed or {}

    def binding_ok(kind: str, value, known: set[str]) -> bool:
        if kind == "value":
            return is_hashable_value(value, known, shadow, items)
        if kind not in ("each", "unpack"):  # parts of a hashable tuple are hashable; ``*rest`` is a list
            return False
        if range_loop_names(value, shadow):
            return True
        it = value.iter
        return isinstance(it, cst.Name) and it.value not in moved and is_hashable_type(element_type(type_of(it.value)) or "")

    return settle(func, proven, binding_ok)


def is_hashable_value(expr: cst.BaseExpression, hashable: Iterable[str], shadowed: Iterable[str],
                      typed: Mapping[str, str]) -> bool:
    """``expr`` certainly gives a hashable built-in value (or raises): a proven form of
    :func:`is_hashable_expr`, an item of a name ``typed`` as a container of hashable
    values (``rec["day"]`` with ``rec`` a ``dict[str, int]``), or a tuple of such."""
    if is_hashable_expr(expr, hashable, shadowed) or is_hashable_type(item_type(expr, typed) or ""):
        return True
    return isinstance(expr, cst.Tuple) and bool(expr.elements) and all(
        isinstance(e, cst.Element) and is_hashable_value(e.value, hashable, shadowed, typed) for e in expr.elements)


def item_type(expr: cst.BaseExpression, typed: Mapping[str, str]) -> str | None:
    """The type of ``name[key]`` (one index, no slice) when ``typed[name]`` is a dict (its
    value type) or a list/tuple/sequence of one element type; else None. The lookup may
    raise (KeyError, IndexError), but whatever it gives is of that type."""
    if not (isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and len(expr.slice) == 1
            and isinstance(expr.slice[0].slice, cst.Index) and expr.slice[0].slice.star is None):
        return None
    head, args = split_type(typed.get(expr.value.value))
    if head.rsplit(".", 1)[-1] in ("dict", "Dict", "Mapping") and len(args) == 2:
        return args[1]
    if head.rsplit(".", 1)[-1] in ("set", "frozenset", "Set", "FrozenSet", "Iterable"):
        return None  # not subscriptable, or not by position
    return element_type(typed.get(expr.value.value))


# --- Calls, changes and int expressions (for the index, search and heap rules) ---

STR_PURE_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title", "swapcase", "capitalize",
    "startswith", "endswith", "find", "rfind", "count", "isdigit", "isalpha", "isalnum", "isspace",
    "split", "replace", "encode", "zfill", "center", "ljust", "rjust", "partition",
})
"""Methods of ``str`` that change nothing and call no user code on ``str`` arguments."""


def calls_only_known(node: cst.CSTNode, facts: FunctionFacts, shadowed: set[str]) -> bool:
    """Every call under ``node`` is a :data:`PURE_BUILTINS` name not rebound in the module
    (``shadowed``), a method of a local the function built itself as a list, dict or set,
    or a :data:`STR_PURE_METHODS` method of a name whose type is ``str``: no user code runs
    that could change a name the function holds."""
    for call in walk(node):
        if not isinstance(call, cst.Call):
            continue
        func = call.func
        if isinstance(func, cst.Name) and func.value in PURE_BUILTINS and func.value not in shadowed:
            continue
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            owner = func.value.value
            kind = split_type(facts.type_of(owner))[0]
            if not facts.is_param(owner) and split_type(facts.local_types.get(owner))[0] in ("list", "dict", "set"):
                continue
            if kind == "str" and func.attr.value in STR_PURE_METHODS and owner not in facts.rebound:
                continue
        return False
    return True


def names_changed_in(node: cst.CSTNode) -> set[str]:
    """Names bound, changed in place (a :data:`MUTATING_METHODS` call, an item or attribute
    store), augmented or deleted anywhere under ``node``."""
    out = set()
    for sub in walk(node):
        if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute):
            if isinstance(sub.func.value, cst.Name) and sub.func.attr.value in MUTATING_METHODS:
                out.add(sub.func.value.value)
        elif isinstance(sub, cst.AssignTarget | cst.AugAssign | cst.Del | cst.AnnAssign | cst.For | cst.CompFor):
            out |= {n.value for n in walk(sub.target) if isinstance(n, cst.Name)}
        elif isinstance(sub, cst.AsName | cst.NamedExpr):
            target = sub.name if isinstance(sub, cst.AsName) else sub.target
            out |= {n.value for n in walk(target) if isinstance(n, cst.Name)}
    return out



_INT_OPS = (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide, cst.Modulo, cst.LeftShift,
            cst.RightShift, cst.BitAnd, cst.BitOr, cst.BitXor)
_INT_CALLS = frozenset({"len", "ord", "int"})


def is_int_expr(expr: cst.BaseExpression, ints: set[str], items: Mapping[str, str] | None = None) -> bool:
    """``expr`` certainly gives an int (or bool), given that the names in ``ints`` hold
    ints: int literals, comparisons of ints, int arithmetic without ``/`` and ``**``,
    ``len``/``ord``/``int`` calls (the caller checks these built-ins are not rebound), and
    ``name[key]`` whose :func:`item_type` is int or bool by the types in ``items`` (which
    the caller vouches for where ``expr`` runs)."""
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.Name):
        return expr.value in ints or expr.value in ("True", "False")
    if isinstance(expr, cst.Comparison):  # ints compared give a bool
        return is_int_expr(expr.left, ints, items) and all(is_int_expr(c.comparator, ints, items)
                                                           for c in expr.comparisons)
    if isinstance(expr, cst.BinaryOperation):
        return isinstance(expr.operator, _INT_OPS) and is_int_expr(expr.left, ints, items) and is_int_expr(
            expr.right, ints, items)
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.operator, cst.Not) or is_int_expr(expr.expression, ints, items)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in _INT_CALLS:
        return True
    if isinstance(expr, cst.Subscript) and items:
        return item_type(expr, items) in ("int", "bool")
    return False


def inner_items_unchanged(func: cst.FunctionDef, name: str, loop: cst.CSTNode) -> bool:
    """Nothing in ``func`` could change what the items of ``name`` hold (the rows of a
    table given as a list of lists), so their observed types still hold in ``loop``: no
    changing method call or store on anything but a plain name (``name[0].append(x)``,
    ``name[0][1] = y``), and ``name`` itself is read only as ``len(name)``, in a truth test
    (``if not name``), subscripted twice or inside ``len`` (``name[r][c]``,
    ``len(name[0])``), anywhere in ``loop``, or as its iterable: no second name ever holds
    one of its items; and no parameter is changed in place (a caller may pass one of the
    rows again as another argument). The caller checks ``loop`` changes nothing."""
    facts = function_facts(func)
    if facts.mutated & set(facts.params):
        return False
    for node in walk(func.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not isinstance(
                node.func.value, cst.Name) and node.func.attr.value in MUTATING_METHODS:
            return False
        targets = (node.target,) if isinstance(node, cst.AugAssign | cst.AnnAssign | cst.Del) else (
            node.target,) if isinstance(node, cst.AssignTarget) else ()
        for target in targets:
            if any(isinstance(n, cst.Subscript | cst.Attribute) and not isinstance(n.value, cst.Name)
                   for n in walk(target)):
                return False
    inside = {id(n) for n in walk(loop)}
    parents: dict[int, cst.CSTNode] = {}
    for node in walk(func.body):
        for child in node.children:
            parents[id(child)] = node
    for ref in (n for n in walk(func.body) if isinstance(n, cst.Name) and n.value == name):
        parent = parents.get(id(ref))
        if isinstance(parent, cst.Subscript) and parent.value is ref:
            holder = parents.get(id(parent))
            # an item read into something else than a subscript or len(): a second name may hold it
            if id(ref) in inside or isinstance(holder, cst.Subscript) and holder.value is parent:
                continue
            if isinstance(holder, cst.Arg) and _is_len_arg(holder, parents):
                continue
            return False
        if isinstance(parent, cst.Arg) and _is_len_arg(parent, parents):
            continue
        if isinstance(loop, cst.For) and loop.iter is ref or id(ref) in inside:
            continue
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not) or (
                isinstance(parent, cst.If | cst.While) and parent.test is ref):
            continue
        return False
    return True


def _is_len_arg(arg: cst.Arg, parents: Mapping[int, cst.CSTNode]) -> bool:
    call = parents.get(id(arg))
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "len"


def param_type(func: cst.FunctionDef, facts: FunctionFacts, name: str) -> str | None:
    """The type a parameter has on entry: observed, else its annotation (a rebinding in
    the body, which :meth:`FunctionFacts.type_of` reports instead, does not count)."""
    if name in facts.observed:
        return facts.observed[name]
    for param in walk(func.params):
        if isinstance(param, cst.Param) and param.name.value == name and param.annotation is not None:
            return _hint(param.annotation)
    return None


def constructed_type(value: cst.BaseExpression) -> str | None:
    """The built-in type a display, literal or constructor call (``list(...)``, ``{}``,
    ``"s"``, ``sorted(...)``) certainly gives, else None (the constructor names are
    the caller's to check for rebinding)."""
    return _constructed_type(value)


def length_alias(func: cst.FunctionDef, facts: FunctionFacts, expr: cst.BaseExpression,
                 use: cst.CSTNode) -> str | None:
    """The name ``xs`` when ``expr`` certainly equals ``len(xs)`` where ``use`` runs:
    ``len(xs)`` itself, or a local ``n`` bound exactly once, by ``n = len(xs)`` in a
    top-level statement of ``func`` that comes before the one holding ``use``, with ``xs``
    a name :meth:`FunctionFacts.never_changed` (so its length stays). The caller checks that
    ``len`` is the built-in."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "len" and (
            len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Name) and not expr.args[0].keyword
            and expr.args[0].star == ""):
        return expr.args[0].value.value
    if not isinstance(expr, cst.Name) or expr.value in facts.rebound | facts.global_names | set(facts.params):
        return None
    for statement in func.body.body:
        if any(node is use for node in walk(statement)):
            return None  # reached the use before any binding
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if (isinstance(small, cst.Assign) and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == expr.value):
            sized = length_alias(func, facts, small.value, use)
            if sized is not None and isinstance(small.value, cst.Call) and facts.never_changed(sized):
                return sized
            return None
    return None
