"""A parameter's type from how the function body uses it.

The body is read once; every use leaves a *fact* on a *path*: the parameter itself
(``("nodes",)``), one of its elements (``("nodes", "[]")``), a string key of an element
(``("nodes", "[]", "k:id")``), a dict's keys or values (``"key"``, ``"val"``), a tuple
position (``"#0"``). Loop variables and names assigned from a path are aliases of that path,
so ``for n in nodes: total += n["id"] + 1`` leaves ``int`` on ``("nodes", "[]", "k:id")``.
:func:`usage_facts` collects them; :mod:`.infer_resolve` turns the facts of each parameter's
paths into a Spec, holes where nothing is known (the caller fills those with ``int`` and a
note).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field

from polca.skills.analysis.infer import FuncNode, Module, dotted, is_clamp
from polca.skills.analysis.types import FloatSpec, NoneSpec, Spec, StrSpec

Path = tuple[str, ...]

STR_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith",
    "endswith", "replace", "find", "rfind", "isdigit", "isalpha", "isspace", "isupper", "islower",
    "isalnum", "isnumeric", "isdecimal", "title", "capitalize", "encode", "format", "zfill",
    "center", "ljust", "rjust", "partition", "rpartition", "casefold", "swapcase", "translate",
    "expandtabs", "removeprefix", "removesuffix", "isidentifier", "istitle",
})
LIST_METHODS = frozenset({"append", "extend", "insert", "remove", "sort", "reverse"})
SET_METHODS = frozenset({"add", "discard", "union", "intersection", "difference", "issubset",
                         "issuperset", "symmetric_difference", "isdisjoint"})
DICT_METHODS = frozenset({"items", "keys", "values", "get", "setdefault", "update", "popitem"})
DEQUE_METHODS = frozenset({"appendleft", "popleft", "extendleft", "rotate"})
ARRAY_METHODS = frozenset({"reshape", "astype", "sum", "mean", "std", "var", "max", "min", "argmax",
                           "argmin", "argsort", "cumsum", "dot", "flatten", "ravel", "tolist",
                           "nonzero", "clip", "prod", "item", "transpose", "squeeze"})
ARRAY_ATTRS = frozenset({"shape", "dtype", "ndim", "T", "size", "itemsize", "nbytes"})
FLOAT_FUNCS = frozenset({"sqrt", "log", "log2", "log10", "exp", "sin", "cos", "tan", "atan",
                         "atan2", "fabs", "floor", "ceil", "hypot", "pow", "isclose", "isnan",
                         "isinf", "isfinite", "radians", "degrees", "fsum", "trunc"})
INT_FUNCS = frozenset({"gcd", "factorial", "comb", "perm", "isqrt", "lcm", "bit_length"})
ITERATING = frozenset({"sorted", "sum", "min", "max", "list", "set", "tuple", "frozenset",
                       "enumerate", "zip", "reversed", "iter", "any", "all", "dict", "Counter",
                       "deque", "heapify"})
_STR_MODULES = ("re.", "os.path.", "json.loads", "shlex.", "fnmatch.", "textwrap.")
_LIST_MODULES = ("heapq.", "bisect.")
_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.Pow, ast.BitAnd, ast.BitOr,
            ast.BitXor, ast.LShift, ast.RShift)
# what only an int is used for: bitwise operators (a float raises), and ``%``/``//`` but by a
# float (``n % 2``, ``n // 10``, ``a % b``: digits, parity, Euclid). Arithmetic, comparisons,
# sum/min/max/abs/round work on floats alike: those leave "num", and a value with nothing but
# "num" is drawn int or float (:func:`polca.skills.analysis.types.number`)
_BIT_OPS = (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)
_INT_ONLY_OPS = (ast.FloorDiv, ast.Mod, *_BIT_OPS)
INT_METHODS = frozenset({"bit_count", "bit_length", "to_bytes"})


@dataclass
class Facts:
    """Facts per path, plus the arity of calls, bounds and the container an index indexes."""

    facts: dict[Path, set[str]] = field(default_factory=lambda: defaultdict(set))
    arity: dict[Path, int] = field(default_factory=dict)
    low: dict[Path, int] = field(default_factory=dict)
    high: dict[Path, int] = field(default_factory=dict)
    index_of: dict[Path, str] = field(default_factory=dict)
    ndim: dict[Path, int] = field(default_factory=dict)
    hinted: dict[Path, Spec] = field(default_factory=dict)
    links: dict[Path, set[Path]] = field(default_factory=lambda: defaultdict(set))  # same type
    keyed_by: dict[Path, set[Path]] = field(default_factory=lambda: defaultdict(set))  # x[key path]
    # (receiver, method, argument) of str methods whose argument is a str when the receiver is
    str_args: list[tuple[Path, str, Path]] = field(default_factory=list)

    def link(self, a: Path | None, b: Path | None) -> None:
        if a is not None and b is not None and a != b:
            self.links[a].add(b)
            self.links[b].add(a)

    def add(self, path: Path | None, fact: str) -> None:
        if path is not None:
            self.facts[path].add(fact)


class _Reader(ast.NodeVisitor):
    """Walks one function body, leaving facts on the paths of its parameters."""

    def __init__(self, mod: Module, qualname: str, func: FuncNode, params: list[str]) -> None:
        self.mod, self.qualname, self.func = mod, qualname, func
        self.params = set(params)
        self.alias: dict[str, Path] = {p: (p,) for p in params}
        self.index_vars: dict[str, str | None] = {}  # local int from range(): container it indexes
        self.attrs: dict[str, Path] = {}  # self.items -> ("items",): __init__ stored a parameter
        self.self_name: str | None = None
        self.local_kind: dict[str, str] = {}  # locals of known scalar kind: s = "", total = 0.0
        self.same_length: dict[str, str] = {}  # local -> parameter it has the length of
        self.out = Facts()

    def _kind_of(self, node: ast.expr) -> str | None:
        """The kind of a non-parameter expression: a literal, a typed local, a str method, a
        list display, str or list arithmetic (``title + "\\n"``, ``merged + batch``)."""
        if isinstance(node, ast.Constant):
            return _literal_fact(node.value)
        if isinstance(node, (ast.List, ast.ListComp)):
            return "list"
        if isinstance(node, ast.BinOp):
            return self._arith_kind(node)
        if isinstance(node, ast.Name) and node.id not in self.alias:
            return self.local_kind.get(node.id)
        if isinstance(node, ast.JoinedStr):
            return "str"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in STR_METHODS - {"split", "rsplit", "splitlines", "partition",
                                                "rpartition", "encode", "find", "rfind"}:
                return "str" if not node.func.attr.startswith("is") else "bool"
        if isinstance(node, ast.Call) and dotted(node.func) in ("str", "int", "float", "len"):
            return {"str": "str", "float": "float"}.get(dotted(node.func), "int")  # type: ignore[arg-type]
        return None

    def _arith_kind(self, node: ast.BinOp) -> str | None:
        """``a + b`` with a str (list) side is a str (list); so is ``"=" * n`` (``[0] * n``)."""
        sides = {self._kind_of(node.left), self._kind_of(node.right)}
        if "char" in sides:
            sides.add("str")
        for kind in ("str", "list"):
            if kind in sides and isinstance(node.op, (ast.Add, ast.Mult)):
                return kind
        return None

    # -- paths
    def path(self, node: ast.AST) -> Path | None:
        """The path ``node`` denotes, or None when it is not a parameter or part of one."""
        if isinstance(node, ast.Name):
            return self.alias.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == self.self_name:
            return self.attrs.get(node.attr)
        if isinstance(node, ast.Subscript):
            return self._subscript_path(node)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.path(node.values[0])  # `xs or []`: xs, with an empty default
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = self.path(node.func.value)
            if base is not None and node.func.attr in ("get", "pop", "setdefault") and node.args:
                return self._key_path(base, node.args[0])
        return None

    def _subscript_path(self, node: ast.Subscript) -> Path | None:
        base = self.path(node.value)
        sl = node.slice
        if isinstance(sl, ast.Slice):
            self._slice_bounds(sl)
            self.out.add(base, "sliced")
            return base
        if base is None:
            return None
        if isinstance(sl, ast.Tuple):
            self._array(base, len(sl.elts))
            for e in sl.elts:
                self._int_like(e, size=False)
            return None
        return self._key_path(base, sl)

    def _slice_bounds(self, sl: ast.Slice) -> None:
        """``ranked[:k]``, of a parameter or of a local: the bounds are ints. Not indexes:
        a bound past either end is a legal call, and the value role's edges (0, -1, 2**63)
        test it; an index is drawn inside the sequence, with 0 as its only edge."""
        for part in (sl.lower, sl.upper, sl.step):
            self._int_like(part, size=False)

    def _key_path(self, base: Path, key: ast.expr) -> Path:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return (*base, f"k:{key.value}")
        if isinstance(key, ast.Constant) and isinstance(key.value, int):
            self.out.add(base, "int_index")
            return (*base, "[]")
        if self._is_index(key):
            self.out.add(base, "int_index")
        kp = self.path(key)
        if kp is not None and base[0].startswith("@"):
            self.out.link(kp, (*base, "key"))  # self.prices[sku]: sku is a key of what __init__ stored
        if kp is not None and kp == (*base, "[]"):
            self.out.add(base, "self_keyed")  # for k in d: d[k]; the resolver says if d is a dict
            return (*base, "[item]")
        if kp is not None and len(kp) == 1:
            self.out.index_of.setdefault(kp, base[0])
        elif kp is not None:
            self.out.keyed_by[base].add(kp)  # counts[item["name"]]: a dict, if the key is no int
        kind = self._kind_of(key)
        if kind in ("str", "char", "float"):
            self.out.add(base, "dict_get")
            self.out.hinted.setdefault((*base, "key"), StrSpec() if kind != "float" else FloatSpec())
        self.out.add(base, "keyed")
        return (*base, "[]")

    def _is_index(self, node: ast.expr) -> bool:
        """An int expression: a range() loop variable, an int literal, arithmetic on them."""
        if isinstance(node, ast.Name):
            return node.id in self.index_vars
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int)
        if isinstance(node, ast.BinOp):
            return self._is_index(node.left) or self._is_index(node.right)
        if isinstance(node, ast.UnaryOp):
            return self._is_index(node.operand)
        return isinstance(node, ast.Call) and dotted(node.func) == "len"

    def _int_like(self, node: ast.expr | None, size: bool) -> None:
        if node is None:
            return
        p = self.path(node)
        if p is not None:
            self.out.add(p, "int")
            self.out.add(p, "strict_int")  # range(), slicing, indexing: a float would raise
            if size:
                self.out.add(p, "size")
        elif isinstance(node, ast.BinOp):
            self._int_like(node.left, size)
            self._int_like(node.right, size)
        elif is_clamp(node):  # range(min(n, LIMIT)): n bounds the loop as well
            for a in node.args:
                self._int_like(a, size)

    def _array(self, path: Path | None, ndim: int) -> None:
        if path is not None:
            self.out.add(path, "array")
            self.out.ndim[path] = max(self.out.ndim.get(path, 1), ndim)

    # -- binding names
    def bind(self, target: ast.expr, path: Path | None) -> None:
        """Make the names in ``target`` aliases of ``path`` (tuple targets: of its positions)."""
        if isinstance(target, ast.Name):
            self.index_vars.pop(target.id, None)
            if path is None:
                self.alias.pop(target.id, None)
            else:
                self.alias[target.id] = path
        elif isinstance(target, (ast.Tuple, ast.List)) and any(isinstance(e, ast.Starred) for e in target.elts):
            self.out.add(path, "iter")  # `a, *rest = row`: row is a sequence of any length
            for elt in target.elts:
                self.bind(elt.value if isinstance(elt, ast.Starred) else elt,
                          None if path is None or isinstance(elt, ast.Starred) else (*path, "[]"))
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.out.add(path, "unpacked")
            for i, elt in enumerate(target.elts):
                if isinstance(elt, ast.Starred):
                    self.bind(elt.value, None)
                else:
                    self.out.add(None if path is None else (*path, f"#{i}"), "read")
                    self.bind(elt, None if path is None else (*path, f"#{i}"))
        elif isinstance(target, ast.Starred):
            self.bind(target.value, None)

    def bind_loop(self, target: ast.expr, it: ast.expr) -> None:
        """``for target in it``: bind the loop names to the elements they take."""
        p = self.path(it)
        if p is not None:
            self.out.add(p, "iter")
            self.bind(target, (*p, "[]"))
            return
        name = dotted(it.func) if isinstance(it, ast.Call) else None
        args = it.args if isinstance(it, ast.Call) else []
        if name == "range":
            self._loop_range(target, args)
        elif name == "enumerate" and args and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            container = self.path(args[0])
            self.bind(target.elts[1], None if container is None else (*container, "[]"))
            self._index_var(target.elts[0], container)
            self.out.add(container, "iter")
        elif name == "zip" and isinstance(target, ast.Tuple) and len(target.elts) == len(args):
            for elt, arg in zip(target.elts, args, strict=True):
                ap = self.path(arg)
                self.out.add(ap, "iter")
                self.bind(elt, None if ap is None else (*ap, "[]"))
        elif name in ("sorted", "reversed", "list", "set", "tuple", "iter") and args and self.path(args[0]):
            self.bind_loop(target, args[0])
        elif isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and self._dict_loop(target, it):
            pass
        else:
            self.bind(target, None)
            if isinstance(target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) \
                    and it.func.attr in ("split", "rsplit", "splitlines"):
                self._set_kind(target.id, "str")

    def _loop_range(self, target: ast.expr, args: list[ast.expr]) -> None:
        container = None
        for a in args:
            if isinstance(a, ast.Call) and dotted(a.func) == "len" and a.args:
                container = self.path(a.args[0]) or container
            else:
                self._int_like(a, size=True)
        self.bind(target, None)
        self._index_var(target, container)

    def _index_var(self, target: ast.expr, container: Path | None) -> None:
        if isinstance(target, ast.Name):
            self.alias.pop(target.id, None)
            self.index_vars[target.id] = container[0] if container else None

    def _dict_loop(self, target: ast.expr, it: ast.Call) -> bool:
        base = self.path(it.func.value)  # type: ignore[attr-defined]
        method = it.func.attr  # type: ignore[attr-defined]
        if base is None or method not in ("items", "keys", "values"):
            return False
        self.out.add(base, "dict")
        if method == "items" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            self.bind(target.elts[0], (*base, "key"))
            self.bind(target.elts[1], (*base, "val"))
        else:
            self.bind(target, (*base, "key" if method == "keys" else "val"))
        return True

    # -- statements
    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.bind_loop(node.target, node.iter)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        saved = dict(self.alias)
        for gen in node.generators:
            self.visit(gen.iter)
            self.bind_loop(gen.target, gen.iter)
            for cond in gen.ifs:
                self.visit(cond)
        for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            self.visit(part)
        self.alias = saved  # comprehension variables do not leak

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        p = self.path(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in self.params and p is None:
                self._param_rebound(target.id, node.value)
            elif isinstance(target, (ast.Name, ast.Tuple, ast.List)):
                self.bind(target, p)
                if isinstance(target, ast.Name) and p is None:
                    self._set_kind(target.id, self._kind_of(node.value))
                if isinstance(target, ast.Name) and p is None and self._is_index(node.value):
                    self.index_vars[target.id] = None
                if isinstance(target, ast.Name) and p is None:
                    self._local_length(target.id, node.value)
            else:
                self.visit(target)

    def _local_length(self, name: str, value: ast.expr) -> None:
        """``dist = [-1] * len(adj)``: dist has adj's length, so what indexes dist indexes adj."""
        self.same_length.pop(name, None)
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
            for side in (value.left, value.right):
                if isinstance(side, ast.Call) and dotted(side.func) == "len" and side.args:
                    p = self.path(side.args[0])
                    if p is not None and len(p) == 1:
                        self.same_length[name] = p[0]

    def _set_kind(self, name: str, kind: str | None) -> None:
        if kind is None:
            self.local_kind.pop(name, None)
        else:
            self.local_kind[name] = "str" if kind == "char" else kind

    def _param_rebound(self, name: str, value: ast.expr) -> None:
        """``x = []`` under ``if x is None`` says what x is; ``x = other`` ends the alias."""
        kinds = {ast.List: "list", ast.Dict: "dict_get", ast.Set: "set", ast.Constant: None}
        if type(value) in kinds:
            self.out.add(self.alias.get(name), kinds[type(value)] or "x")
        elif any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)):
            return  # x = x.strip(), x = sorted(x): the same parameter, transformed
        else:
            self.alias.pop(name, None)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            if isinstance(node.target, ast.Name):
                self.bind(node.target, self.path(node.value))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.bind(node.target, self.path(node.value))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        target = self.path(node.target)
        self._binop(node.target, node.op, node.value)
        if target is None and isinstance(node.op, _INT_OPS):
            self.out.add(self.path(node.value), "num")

    def visit_FunctionDef(self, node: FuncNode) -> None:
        if node is self.func:
            for stmt in node.body:
                self.visit(stmt)
            return
        self._shadowed(node.args, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._shadowed(node.args, [node.body])

    def _shadowed(self, args: ast.arguments, body: list) -> None:
        saved = dict(self.alias)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None:
                self.alias.pop(a.arg, None)
        for stmt in body:
            self.visit(stmt)
        self.alias = saved

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        return  # a class defined inside the function has its own scope

    def visit_If(self, node: ast.If) -> None:
        self._test(node.test)
        if node.body and isinstance(node.body[0], ast.Raise):
            self._bounds(node.test, negate=True)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    def visit_While(self, node: ast.While) -> None:
        self._test(node.test)
        if isinstance(node.test, ast.Compare) and isinstance(node.test.ops[0], (ast.Lt, ast.LtE)):
            self._int_like(node.test.comparators[0], size=True)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    def visit_Assert(self, node: ast.Assert) -> None:
        self._test(node.test)
        self._bounds(node.test, negate=False)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._test(node.test)
        self.visit(node.body)
        self.visit(node.orelse)

    def _test(self, test: ast.expr) -> None:
        inner = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
        self.out.add(self.path(inner), "truthy")
        self.visit(test)

    def _bounds(self, test: ast.expr, negate: bool) -> None:
        """Bounds from ``if n < 0: raise`` (negate) and ``assert 0 <= k`` on int parameters."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self._bounds(test.operand, not negate)
        elif isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or if negate else ast.And):
            for v in test.values:
                self._bounds(v, negate)
        elif isinstance(test, ast.Compare):
            operands = [test.left, *test.comparators]
            for left, op, right in zip(operands, test.ops, operands[1:], strict=False):
                self._bound(left, op, right, negate)

    def _bound(self, left: ast.expr, op: ast.cmpop, right: ast.expr, negate: bool) -> None:
        flip = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}
        if isinstance(left, ast.Constant) and type(op) in flip:
            left, right, op = right, left, flip[type(op)]()
        p = self.path(left)
        if p is None or len(p) != 1 or not isinstance(right, ast.Constant) or type(right.value) is not int:
            return
        if negate:
            op = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt}.get(type(op), type(op))()
        c = right.value
        bound = {ast.Lt: ("high", c - 1), ast.LtE: ("high", c), ast.Gt: ("low", c + 1), ast.GtE: ("low", c)}
        side, value = bound.get(type(op), (None, None))
        if side == "low":
            self.out.low[p] = max(self.out.low.get(p, value), value)
        elif side == "high":
            self.out.high[p] = min(self.out.high.get(p, value), value)
        self.out.add(p, "num")  # `if n < 0: raise`: a float is as welcome as an int

    # -- expressions
    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.out.add(self.path(node), "read")
        if isinstance(node.value, ast.Name) and node.value.id in self.same_length:
            key = self.path(node.slice)
            if key is not None and len(key) == 1:
                self.out.index_of.setdefault(key, self.same_length[node.value.id])
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            k = node.slice.value if isinstance(node.slice, ast.Constant) else 0
            self._array(self.path(node.value.value), (k + 1) if isinstance(k, int) and k >= 0 else 1)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base = self.path(node.value)
        if base is not None:
            if node.attr in ARRAY_ATTRS:
                self._array(base, 1)
            else:
                self.out.add(base, f"attr:{node.attr}")
        self.visit(node.value)

    def visit_List(self, node: ast.List | ast.Set) -> None:
        self._stored(node.elts)
        self.generic_visit(node)

    visit_Set = visit_List

    def visit_Dict(self, node: ast.Dict) -> None:
        self._stored([e for e in [*node.keys, *node.values] if e is not None])
        self.generic_visit(node)

    def _stored(self, elts: list[ast.expr]) -> None:
        """Parameters put into a container literal (``[(0, start)]``, ``{start: 0}``)."""
        for e in elts:
            if isinstance(e, ast.Tuple):
                self._stored(e.elts)
            else:
                self.out.add(self.path(e), "stored")

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self.out.add(self.path(node.value), "iter")
        self.visit(node.value)

    def visit_Starred(self, node: ast.Starred) -> None:
        self.out.add(self.path(node.value), "iter")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        name = dotted(node.func)
        callee = self.path(node.func) if isinstance(node.func, ast.Name) else None
        if callee is not None:
            self.out.add(callee, "call")
            self.out.arity[callee] = max(self.out.arity.get(callee, 0), len(node.args))
            for a in node.args:
                self.out.add(self.path(a), "callable_arg")
        elif isinstance(node.func, ast.Attribute):
            self._method(node.func, node)
        if isinstance(node.func, ast.Name) and callee is None:
            self._builtin(node.func.id, node)
        if name and (name.startswith(("np.", "numpy."))):
            self._numpy(name, node)
        elif name and name.startswith(_STR_MODULES):
            for a in node.args:
                self.out.add(self.path(a), "str")
        elif name and name.startswith(_LIST_MODULES) and node.args:
            self.out.add(self.path(node.args[0]), "list")
        elif name and name.startswith("itertools."):
            for a in node.args:
                self.out.add(self.path(a), "iter")
        if name and name.startswith("math."):
            fact = "float" if name[5:] in FLOAT_FUNCS else "int" if name[5:] in INT_FUNCS else None
            for a in node.args:
                if fact:
                    self.out.add(self.path(a), fact)
                if name[5:] in ("floor", "ceil", "trunc"):
                    self._finite(a)
        self._own_call(name, node)
        self._hinted_call(name, node)
        self._key_callable(node)
        for part in (*node.args, *(k.value for k in node.keywords)):
            self.visit(part)
        if isinstance(node.func, ast.Attribute):
            self.visit(node.func.value)

    def _key_callable(self, node: ast.Call) -> None:
        """``sorted(xs, key=fn)``: fn is called with one argument."""
        for kw in node.keywords:
            kp = self.path(kw.value) if kw.arg == "key" else None
            if kp is not None:
                self.out.add(kp, "call")
                self.out.arity[kp] = 1

    def _method(self, func: ast.Attribute, node: ast.Call) -> None:
        base, m = self.path(func.value), func.attr
        self.out.add(base, f"attr:{m}")
        constant_str = isinstance(func.value, ast.Constant) and isinstance(func.value.value, str)
        if m == "extend" and node.args:
            self.out.add(self.path(node.args[0]), "iter")  # merged.extend(batch): batch is iterable
        for arg in node.args[:_STR_ARGS.get(m, 0)]:
            p = self.path(arg)
            if p is not None and constant_str:
                _str_argument(self.out, m, p)
            elif p is not None and base is not None:
                self.out.str_args.append((base, m, p))
        if base is None:
            return
        groups = ((STR_METHODS, "str"), (LIST_METHODS, "list"), (SET_METHODS, "set"),
                  (DEQUE_METHODS, "deque"), (ARRAY_METHODS, "array"))
        for methods, fact in groups:
            if m in methods:
                self.out.add(base, fact)
        if m in INT_METHODS:
            self.out.add(base, "int")
        if m in ("items", "keys", "values", "update", "popitem"):
            self.out.add(base, "dict")
        elif m in ("get", "setdefault"):
            self.out.add(base, "dict_get")
        elif m == "pop":
            self.out.add(base, "dict_get" if len(node.args) == 2 else "list")
        elif m == "decode":
            self.out.add(base, "bytes")
        elif m in ("count", "index", "copy"):
            self.out.add(base, "iter")
        if m in ("append", "add", "appendleft", "insert") and node.args:
            self._element_from(base, node.args[-1])
        if m in ("get", "setdefault") and len(node.args) == 2:
            self._element_from(self._key_path(base, node.args[0]), node.args[1], own=True)

    def _element_from(self, container: Path, value: ast.expr, own: bool = False) -> None:
        """The literal put into a container says the container's element type."""
        from polca.skills.analysis.infer_sources import value_spec

        spec = value_spec(self.mod, value)
        target = container if own else (*container, "[]")
        if spec is not None and not isinstance(spec, NoneSpec):
            self.out.hinted.setdefault(target, spec)

    def _builtin(self, name: str, node: ast.Call) -> None:
        first = self.path(node.args[0]) if node.args else None
        if name == "len":
            self.out.add(first, "len")
        elif name == "next":
            self.out.add(first, "next")
        elif name == "range":
            for a in node.args:
                self._int_like(a, size=True)
        elif is_clamp(node):
            for a in node.args:  # min(n, LIMIT): the arguments are compared numbers, none is iterated
                self.out.add(self.path(a), "num")
        elif name in ITERATING:
            self.out.add(first, "iter")
            if name in ("sum", "min", "max", "sorted") and first is not None:
                self.out.add((*first, "[]"), "num")
        elif name in ("map", "filter") and len(node.args) >= 2:
            fp, seq = self.path(node.args[0]), self.path(node.args[1])
            self.out.add(seq, "iter")
            if fp is not None:
                self.out.add(fp, "call")
                self.out.arity[fp] = len(node.args) - 1
        elif name in ("abs", "round", "divmod"):
            self.out.add(first, "num")
            if name == "round" and node.args:
                self._finite(node.args[0])
        elif name == "int" and node.args:
            self._finite(node.args[0])  # int(x) of a float raises on inf and nan
        elif name == "ord":
            self.out.add(first, "char")
        elif name in ("chr", "bin", "hex", "oct"):
            self.out.add(first, "int")
        elif name == "open":
            self.out.add(first, "str")
        elif name == "isinstance" and len(node.args) == 2:
            self._isinstance(first, node.args[1])

    def _finite(self, node: ast.expr) -> None:
        """Every parameter inside the arithmetic ``node`` must be a finite number."""
        if isinstance(node, ast.BinOp):
            self._finite(node.left)
            self._finite(node.right)
        elif isinstance(node, ast.UnaryOp):
            self._finite(node.operand)
        else:
            self.out.add(self.path(node), "finite")

    def _isinstance(self, p: Path | None, types: ast.expr) -> None:
        names = types.elts if isinstance(types, ast.Tuple) else [types]
        for t in names:
            if isinstance(t, ast.Name) and t.id in ("int", "float", "str", "list", "dict", "tuple", "set", "bool"):
                self.out.add(p, f"isinstance:{t.id}")

    def _numpy(self, name: str, node: ast.Call) -> None:
        last = name.rsplit(".", 1)[-1]
        for a in node.args:
            p = self.path(a)
            if last in ("array", "asarray", "fromiter"):
                self.out.add(p, "iter")
            else:
                self._array(p, 1)

    def _own_call(self, name: str | None, node: ast.Call) -> None:
        """Recursion ``f(n - 1)``: the argument that shrinks is a size."""
        own = self.qualname.rsplit(".", 1)[-1]
        if name not in (own, f"self.{own}", f"cls.{own}"):
            return
        params = [a.arg for a in self.func.args.posonlyargs + self.func.args.args]
        if self.qualname in self.mod.owner and name != own:
            params = params[1:]
        for i, arg in enumerate(node.args):
            p = self.path(arg)
            if p is not None and len(p) > 1 and i < len(params) and p[0] == params[i]:
                self.out.add(p, "self_type")  # walk(tree["left"]): the child is a tree again
            if isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Sub, ast.FloorDiv, ast.RShift)):
                p = self.path(arg.left)
                if p is not None and len(p) == 1:
                    self.out.add(p, "size")
                    self.out.add(p, "int")

    def _hinted_call(self, name: str | None, node: ast.Call) -> None:
        """Passing a parameter to a hinted function of the module says its type."""
        from polca.skills.analysis.infer import HintReader, NoType, find_function

        if name not in self.mod.functions or name == self.qualname:
            return
        callee = find_function(self.mod, name)
        params = callee.args.posonlyargs + callee.args.args
        by_name = {a.arg: a for a in params + callee.args.kwonlyargs}
        pairs = list(zip(params, node.args, strict=False)) + [
            (by_name[k.arg], k.value) for k in node.keywords if k.arg in by_name]
        for param, arg in pairs:
            p = self.path(arg)
            if p is None or param.annotation is None or isinstance(arg, ast.Starred):
                continue
            try:
                self.out.hinted.setdefault(p, HintReader(self.mod).spec(param.annotation))
            except (NoType, RecursionError):
                continue

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._binop(node.left, node.op, node.right)
        self.generic_visit(node)

    def _binop(self, left: ast.expr, op: ast.operator, right: ast.expr) -> None:
        lp, rp = self.path(left), self.path(right)
        if isinstance(op, ast.MatMult):
            self._array(lp, 1)
            self._array(rp, 1)
            return
        if isinstance(op, ast.Mod) and isinstance(left, ast.Constant) and isinstance(left.value, str):
            return  # "%d" % x formats
        if isinstance(op, ast.Mult):
            for side, other in ((left, right), (right, left)):
                if isinstance(side, ast.List) or (isinstance(side, ast.Constant) and isinstance(side.value, str)):
                    self._int_like(other, size=True)
                    return
        if isinstance(op, (ast.Add, ast.Sub)):
            self.out.link(lp, rp)
        if isinstance(op, ast.Div):
            self.out.add(lp, "float")  # the dividend of a true division is a real number;
            self.out.add(rp, "num")  # the divisor is often a count
            return
        if isinstance(op, _BIT_OPS):
            self.out.add(lp, "int")  # a float has no bits to shift or mask
            self.out.add(rp, "int")
            return
        for p, other in ((lp, right), (rp, left)):
            if p is not None:
                self.out.add(p, _operand_fact(op, self._kind_of(other) or other))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, (ast.USub, ast.Invert)):
            self.out.add(self.path(node.operand), "num" if isinstance(node.op, ast.USub) else "int")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            self._compare(left, op, right)
        self.generic_visit(node)

    def _compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> None:
        lp, rp = self.path(left), self.path(right)
        if not isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)):
            self.out.link(self._operand_path(left), self._operand_path(right))
        if isinstance(op, (ast.In, ast.NotIn)):
            self._membership(left, lp, right, rp)
        elif isinstance(op, (ast.Is, ast.IsNot)):
            for p, other in ((lp, right), (rp, left)):
                if isinstance(other, ast.Constant) and other.value is None:
                    self.out.add(p, "none")
        else:
            for p, other in ((lp, right), (rp, left)):
                if p is None:
                    continue
                kind = _compared_kind(self._kind_of(other))
                if isinstance(other, ast.Constant) and other.value is None:
                    self.out.add(p, "none")
                elif kind is not None and kind != "x":
                    self.out.add(p, kind)
                elif not isinstance(op, (ast.Eq, ast.NotEq)):
                    self.out.add(p, "num")

    def _operand_path(self, node: ast.expr) -> Path | None:
        """The path whose type ``node`` has: its own, or an arithmetic operand's
        (``prices[i] + prices[j] == budget``: budget is a number like prices' items)."""
        p = self.path(node)
        if p is None and isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            return self._operand_path(node.left) or self._operand_path(node.right)
        return p

    def _membership(self, left: ast.expr, lp: Path | None, right: ast.expr, rp: Path | None) -> None:
        if rp is not None:
            self.out.add(rp, "contains")
            kind = self._kind_of(left)
            if isinstance(left, ast.Constant) and isinstance(left.value, str):
                self.out.add(rp, "str_contains")
            elif kind is not None and kind != "x":
                self.out.add((*rp, "[]"), _compared_kind(kind))
        if lp is not None and isinstance(right, ast.Constant) and isinstance(right.value, str):
            self.out.add(lp, "char")  # `ch in "aeiou"`: a character
        elif lp is not None and isinstance(right, (ast.List, ast.Tuple, ast.Set)) and right.elts:
            first = right.elts[0]
            if isinstance(first, ast.Constant):
                self.out.add(lp, _compared_kind(_literal_fact(first.value)))


def _compared_kind(kind: str | None) -> str | None:
    """What being compared with a value of ``kind`` says: a str or float of that kind, but an
    int only a number (``x > 0``, ``n in (1, 2)``, ``total == len(xs)`` hold for a float too)."""
    return "num" if kind == "int" else kind


def _literal_fact(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "char" if len(value) == 1 else "str"
    if isinstance(value, bytes):
        return "bytes"
    return "x"


def _operand_fact(op: ast.operator, other: ast.expr | str) -> str:
    """What ``path <op> other`` says of the path (``other`` may be the kind of a local)."""
    if other == "list":
        return "list" if isinstance(op, ast.Add) else "num"
    if isinstance(other, str):
        other = ast.Constant({"int": 0, "float": 0.0, "str": "ab", "char": "ab"}.get(other))
    if isinstance(other, ast.Constant):
        fact = _literal_fact(other.value)
        if fact == "char":
            return "str"
        if fact == "int" and not isinstance(op, _INT_ONLY_OPS):
            return "num"  # x + 1, x * 2: a float too; x % 2, x // 10 are int work
        return fact
    if isinstance(other, (ast.List, ast.ListComp)) and isinstance(op, ast.Add):
        return "list"
    if isinstance(other, ast.JoinedStr):
        return "str"
    return "int" if isinstance(op, _INT_ONLY_OPS) else "num"


def class_attributes(mod: Module) -> dict[str, frozenset[str]]:
    """The attributes each class of the module has: fields, methods, ``self.x = ...``."""
    if "class_attributes" in mod.cache:
        return mod.cache["class_attributes"]
    out = {}
    for qualname, cls in mod.classes.items():
        names = set()
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        out[qualname] = frozenset(names)
    mod.cache["class_attributes"] = out
    return out


# str methods whose first N positional arguments are strs (``join``'s is an iterable of strs)
# when the receiver is one: ``text.find(pattern)`` makes ``pattern`` a str, even if it is also
# ``pattern.count("a")``-ed (a list has ``count`` too)
_STR_ARGS = {**dict.fromkeys(("find", "rfind", "index", "rindex", "count", "startswith", "endswith", "split",
                              "rsplit", "strip", "lstrip", "rstrip", "partition", "rpartition", "removeprefix",
                              "removesuffix", "join"), 1), "replace": 2}


def _str_argument(out: Facts, method: str, arg: Path) -> None:
    if method == "join":
        out.add(arg, "iter")
        out.add((*arg, "[]"), "str")
    else:
        out.add(arg, "str")


def _str_arguments(out: Facts) -> Facts:
    """Adds "str" to the arguments of str methods whose receiver is a str (to a fixed point:
    an argument found a str may be the receiver of another call)."""
    changed = True
    while changed:
        changed = False
        for receiver, method, arg in out.str_args:
            if "str" in out.facts.get(receiver, ()) and "str" not in out.facts.get(
                    arg if method != "join" else (*arg, "[]"), ()):
                _str_argument(out, method, arg)
                changed = True
    return out


def usage_facts(mod: Module, qualname: str, func: FuncNode, params: list[str]) -> Facts:
    """Read the body of ``func`` once; the facts left on its parameters' paths. For an
    ``__init__`` that stores parameters (``self.items = items``), the class's other methods
    are read too: how they use ``self.items`` tells what ``items`` is."""
    reader = _Reader(mod, qualname, func, params)
    stored = _read_init_attributes(mod, qualname, func, reader)
    reader.visit(func)
    _attribute_types(mod, stored, reader.out)
    owner = mod.owner.get(qualname)
    if owner is None or not qualname.endswith(".__init__"):
        return _str_arguments(reader.out)
    stored = _stored_params(func, set(params))
    for name, method in mod.functions.items():
        if mod.owner.get(name) != owner or method is func or not (method.args.posonlyargs + method.args.args):
            continue
        other = _Reader(mod, name, method, [])
        other.out = reader.out
        other.self_name = (method.args.posonlyargs + method.args.args)[0].arg
        other.attrs = {attr: (param,) for attr, param in stored.items()}
        other.visit(method)
    return _str_arguments(reader.out)


def _stored_params(init: FuncNode, params: set[str]) -> dict[str, str]:
    """``{attribute: parameter}`` for ``self.attribute = parameter`` (or a copy of it,
    ``list(parameter)``, ``tuple(parameter)``: the same items) in ``__init__``."""
    out = {}
    for node in ast.walk(init):
        value = node.value if isinstance(node, ast.Assign) else None
        if isinstance(value, ast.Call) and dotted(value.func) in ("list", "tuple") and len(value.args) == 1:
            value = value.args[0]
        if isinstance(value, ast.Name) and value.id in params:
            for t in node.targets:  # type: ignore[union-attr]
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name):
                    out[t.attr] = value.id
    return out


def _read_init_attributes(mod: Module, qualname: str, func: FuncNode, reader: _Reader) -> dict[str, tuple[str, str]]:
    """For a method other than ``__init__``: let ``reader`` follow ``self.<attr>`` for the
    attributes ``__init__`` stores from its parameters, as paths ``("@attr", ...)``.
    Returns ``{"@attr": (__init__'s qualname, its parameter)}``."""
    from polca.skills.analysis.infer import is_method

    owner = mod.owner.get(qualname)
    init = f"{owner}.__init__"
    positional = func.args.posonlyargs + func.args.args
    if owner is None or qualname == init or init not in mod.functions or not positional \
            or not is_method(mod, qualname):
        return {}
    init_func = mod.functions[init]
    names = {a.arg for a in init_func.args.posonlyargs + init_func.args.args + init_func.args.kwonlyargs}
    stored = {f"@{attr}": (init, param) for attr, param in _stored_params(init_func, names).items()}
    reader.self_name = positional[0].arg
    reader.attrs = {marker[1:]: (marker,) for marker in stored}
    return stored


def _attribute_types(mod: Module, stored: dict[str, tuple[str, str]], out: Facts) -> None:
    """A parameter compared or combined with a part of ``self.<attr>`` (``s == sku`` for
    ``s, p in self.items``) takes that part's type, from ``__init__``'s parameter; links to
    parts whose type is unknown are dropped, so they never stand in for evidence."""
    from polca.skills.analysis.infer import NoType, param_types, spec_at

    types: dict[str, dict[str, Spec | None]] = {}
    for path in [p for p in out.links if p[0] in stored]:
        init, param = stored[path[0]]
        if init not in types:
            try:
                types[init] = {t.name: t.spec for t in param_types(mod, init)}
            except (NoType, RecursionError):
                types[init] = {}
        spec = spec_at(types[init].get(param), path[1:])
        if spec is not None:
            out.hinted.setdefault(path, spec)
            continue
        for other in out.links.pop(path):
            out.links[other].discard(path)
