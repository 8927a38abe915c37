"""A parameter's type from how the function body uses it.

The body is read once; every use leaves a *fact* on a *path*: the parameter itself
(``("nodes",)``), one of its elements (``("nodes", "[]")``), a string key of an element
(``("nodes", "[]", "k:id")``), a dict's keys or values (``"key"``, ``"val"``), a tuple
position (``"#0"``). Loop variables and names assigned from a path are aliases of that path,
so ``for n in nodes: total += n["id"] + 1`` leaves ``int`` on ``("nodes", "[]", "k:id")``.
:func:`usage_specs` then turns the facts of each parameter's paths into a Spec, holes
where nothing is known (the caller fills those with ``int`` and a note).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field

from polca.skills.analysis.infer import FuncNode, Hole, Module, dotted, union
from polca.skills.analysis.types import (
    ArraySpec,
    BytesSpec,
    CallableSpec,
    DictSpec,
    FloatSpec,
    IntSpec,
    NoneSpec,
    RecordSpec,
    SequenceSpec,
    Spec,
    StrSpec,
    TupleSpec,
)

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
                       "deque", "next", "heapify"})
_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.Pow, ast.BitAnd, ast.BitOr,
            ast.BitXor, ast.LShift, ast.RShift)


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
        self.out = Facts()

    # -- paths
    def path(self, node: ast.AST) -> Path | None:
        """The path ``node`` denotes, or None when it is not a parameter or part of one."""
        if isinstance(node, ast.Name):
            return self.alias.get(node.id)
        if isinstance(node, ast.Subscript):
            return self._subscript_path(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = self.path(node.func.value)
            if base is not None and node.func.attr in ("get", "pop", "setdefault") and node.args:
                return self._key_path(base, node.args[0])
        return None

    def _subscript_path(self, node: ast.Subscript) -> Path | None:
        base = self.path(node.value)
        if base is None:
            return None
        sl = node.slice
        if isinstance(sl, ast.Slice):
            self.out.add(base, "sliced")
            for part in (sl.lower, sl.upper, sl.step):
                self._int_like(part, size=False)
            return base
        if isinstance(sl, ast.Tuple):
            self._array(base, len(sl.elts))
            for e in sl.elts:
                self._int_like(e, size=False)
            return None
        return self._key_path(base, sl)

    def _key_path(self, base: Path, key: ast.expr) -> Path:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return (*base, f"k:{key.value}")
        if isinstance(key, ast.Constant) and isinstance(key.value, int):
            self.out.add(base, "int_index")
            return (*base, "[]")
        if self._is_index(key):
            self.out.add(base, "int_index")
        kp = self.path(key)
        if kp is not None and len(kp) == 1:
            self.out.index_of.setdefault(kp, base[0])
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
            if size:
                self.out.add(p, "size")
        elif isinstance(node, ast.BinOp):
            self._int_like(node.left, size)
            self._int_like(node.right, size)

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
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.out.add(path, "unpacked")
            for i, elt in enumerate(target.elts):
                if isinstance(elt, ast.Starred):
                    self.bind(elt.value, None)
                else:
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
                if isinstance(target, ast.Name) and p is None and self._is_index(node.value):
                    self.index_vars[target.id] = None
            else:
                self.visit(target)

    def _param_rebound(self, name: str, value: ast.expr) -> None:
        """``x = []`` under ``if x is None`` says what x is; ``x = other`` ends the alias."""
        kinds = {ast.List: "list", ast.Dict: "dict_get", ast.Set: "set", ast.Constant: None}
        if type(value) in kinds:
            self.out.add(self.alias.get(name), kinds[type(value)] or "x")
        elif name in ast.unparse(value):
            return  # x = x.strip(), x = sorted(x): the same parameter, transformed
        else:
            self.alias.pop(name, None)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self.bind(node.target, self.path(node.value)) if isinstance(node.target, ast.Name) else None

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
        self.out.add(p, "int")

    # -- expressions
    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.path(node)
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

    def visit_Starred(self, node: ast.Starred) -> None:
        self.out.add(self.path(node.value), "iter")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        name = dotted(node.func)
        callee = self.path(node.func) if isinstance(node.func, ast.Name) else None
        if callee is not None:
            self.out.add(callee, "call")
            self.out.arity[callee] = max(self.out.arity.get(callee, 0), len(node.args))
        elif isinstance(node.func, ast.Attribute):
            self._method(node.func, node)
        if isinstance(node.func, ast.Name) and callee is None:
            self._builtin(node.func.id, node)
        if name and (name.startswith(("np.", "numpy."))):
            self._numpy(name, node)
        if name and name.startswith("math."):
            fact = "float" if name[5:] in FLOAT_FUNCS else "int" if name[5:] in INT_FUNCS else None
            for a in node.args:
                self.out.add(self.path(a), fact) if fact else None
        self._own_call(name, node)
        self._hinted_call(name, node)
        for kw in node.keywords:
            if kw.arg == "key":
                kp = self.path(kw.value)
                if kp is not None:
                    self.out.add(kp, "call")
                    self.out.arity[kp] = 1
        for part in (*node.args, *(k.value for k in node.keywords)):
            self.visit(part)
        if isinstance(node.func, ast.Attribute):
            self.visit(node.func.value)

    def _method(self, func: ast.Attribute, node: ast.Call) -> None:
        base, m = self.path(func.value), func.attr
        if isinstance(func.value, ast.Constant) and isinstance(func.value.value, str) and m == "join" and node.args:
            p = self.path(node.args[0])
            self.out.add(p, "iter")
            self.out.add(None if p is None else (*p, "[]"), "str")
        if base is None:
            return
        groups = ((STR_METHODS, "str"), (LIST_METHODS, "list"), (SET_METHODS, "set"),
                  (DEQUE_METHODS, "deque"), (ARRAY_METHODS, "array"))
        for methods, fact in groups:
            if m in methods:
                self.out.add(base, fact)
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
        elif name == "range":
            for a in node.args:
                self._int_like(a, size=True)
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
        elif name == "ord":
            self.out.add(first, "char")
        elif name in ("chr", "bin", "hex", "oct"):
            self.out.add(first, "int")
        elif name == "open":
            self.out.add(first, "str")
        elif name == "isinstance" and len(node.args) == 2:
            self._isinstance(first, node.args[1])

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
        for arg in node.args:
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
        for p, other in ((lp, right), (rp, left)):
            if p is not None:
                self.out.add(p, _operand_fact(op, other))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, (ast.USub, ast.Invert)):
            self.out.add(self.path(node.operand), "num")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            self._compare(left, op, right)
        self.generic_visit(node)

    def _compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> None:
        lp, rp = self.path(left), self.path(right)
        if not isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)):
            self.out.link(lp, rp)
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
                if isinstance(other, ast.Constant) and other.value is None:
                    self.out.add(p, "none")
                elif isinstance(other, ast.Constant):
                    self.out.add(p, _literal_fact(other.value))
                elif not isinstance(op, (ast.Eq, ast.NotEq)):
                    self.out.add(p, "num")

    def _membership(self, left: ast.expr, lp: Path | None, right: ast.expr, rp: Path | None) -> None:
        if rp is not None:
            self.out.add(rp, "contains")
            if isinstance(left, ast.Constant) and isinstance(left.value, str):
                self.out.add(rp, "str_contains")
            elif isinstance(left, ast.Constant):
                self.out.add((*rp, "[]"), _literal_fact(left.value))
        if lp is not None and isinstance(right, ast.Constant) and isinstance(right.value, str):
            self.out.add(lp, "char")  # `ch in "aeiou"`: a character
        elif lp is not None and isinstance(right, (ast.List, ast.Tuple, ast.Set)) and right.elts:
            first = right.elts[0]
            if isinstance(first, ast.Constant):
                self.out.add(lp, _literal_fact(first.value))


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


def _operand_fact(op: ast.operator, other: ast.expr) -> str:
    """What ``path <op> other`` says of the path."""
    if isinstance(op, ast.Div):
        return "float"
    if isinstance(other, ast.Constant):
        fact = _literal_fact(other.value)
        if fact == "char":
            return "str"
        if fact == "int" and not isinstance(op, _INT_OPS):
            return "num"
        return fact
    if isinstance(other, (ast.List, ast.ListComp)) and isinstance(op, ast.Add):
        return "list"
    if isinstance(other, ast.JoinedStr):
        return "str"
    return "num"


_CONTAINER = frozenset({"list", "iter", "len", "int_index", "keyed", "sliced", "contains", "unpacked"})
_MUTATES_AS_LIST = frozenset({"list", "set", "deque", "dict", "dict_get"})


class _Resolver:
    """Turns the facts on a parameter's paths into a Spec (holes where nothing is known)."""

    def __init__(self, found: Facts) -> None:
        self.f = found
        self.children: dict[Path, set[str]] = defaultdict(set)
        for p in [*found.facts, *found.hinted]:
            for i in range(1, len(p)):
                self.children[p[:i]].add(p[i])
        self.notes: list[str] = []
        self.following: set[Path] = set()

    def spec(self, path: Path, depth: int = 0) -> Spec | None:
        found = self._own(path, depth)
        if found is not None and not isinstance(found, Hole):
            return found
        for other in sorted(self.f.links.get(path, ())):
            if other in self.following:
                continue
            self.following.add(path)
            linked = self._own(other, depth + 1)
            self.following.discard(path)
            if linked is not None and not isinstance(linked, Hole):
                return linked
        if found is None and self.f.links.get(path) and len(path) == 1:
            other = ".".join(sorted(self.f.links[path])[0])
            self.notes.append(f"{path[0]} is compared or combined with {other}, whose type is unknown; int assumed")
            return IntSpec()
        return found

    def _own(self, path: Path, depth: int) -> Spec | None:
        facts = self.f.facts.get(path, set())
        if depth > 6:
            return None
        if "call" in facts:
            return CallableSpec(self.f.arity.get(path, 1))
        if "array" in facts:
            return ArraySpec("float64", max(self.f.ndim.get(path, 1), self._depth(path)))
        found = self._mapping(path, facts, depth) or self._container(path, facts, depth)
        if found is None:
            found = self._scalar(path, facts)
        hinted = self.f.hinted.get(path)
        if hinted is not None and (found is None or isinstance(found, Hole)):
            return hinted
        return found

    def _depth(self, path: Path) -> int:
        n = 0
        while "[]" in self.children.get(path, ()) and n < 4:
            path, n = (*path, "[]"), n + 1
        return max(n, 1)

    def _mapping(self, path: Path, facts: set[str], depth: int) -> Spec | None:
        kids = self.children.get(path, set())
        keys = [k for k in kids if k.startswith("k:")]
        if keys and "dict" not in facts:
            ordered = sorted(keys, key=lambda k: self._first_seen(path, k))
            return RecordSpec(tuple((k[2:], self.spec((*path, k), depth + 1) or Hole()) for k in ordered))
        if "dict" in facts or "dict_get" in facts or {"key", "val"} & kids:
            key = self.spec((*path, "key"), depth + 1) or Hole()
            value = self.spec((*path, "val"), depth + 1) or self.spec((*path, "[]"), depth + 1) or Hole()
            return DictSpec(key, value)
        return None

    def _first_seen(self, path: Path, key: str) -> int:
        order = list(self.f.facts)
        target = (*path, key)
        return next((i for i, p in enumerate(order) if p[: len(target)] == target), len(order))

    def _container(self, path: Path, facts: set[str], depth: int) -> Spec | None:
        kids = self.children.get(path, set())
        positions = sorted(int(k[1:]) for k in kids if k.startswith("#"))
        item_facts = self.f.facts.get((*path, "[]"), set())
        if positions and not (facts & (_CONTAINER - {"unpacked"}) or "[]" in kids):
            return TupleSpec(tuple(self.spec((*path, f"#{i}"), depth + 1) or Hole()
                                   for i in range(positions[-1] + 1)))
        if "str" in facts or "char" in facts:
            return None  # a scalar string; _scalar says so
        if "bytes" in facts:
            return BytesSpec()
        if ("char" in item_facts or ("str_contains" in facts and "[]" not in kids)) and not facts & _MUTATES_AS_LIST:
            return StrSpec()
        for kind in ("set", "deque"):
            if kind in facts:
                return SequenceSpec(self.spec((*path, "[]"), depth + 1) or Hole(), kind)  # type: ignore[arg-type]
        if facts & _CONTAINER or "[]" in kids:
            return SequenceSpec(self.spec((*path, "[]"), depth + 1) or Hole())
        return None

    def _scalar(self, path: Path, facts: set[str]) -> Spec | None:
        kinds = [k for k in ("str", "float", "int") if k in facts or (k == "str" and "char" in facts)]
        if len(kinds) > 1:
            self.notes.append(f"{'.'.join(path)} is used as {' and as '.join(kinds)}; {kinds[0]} assumed")
        if kinds and kinds[0] == "str":
            return StrSpec()
        if "float" in facts:
            return FloatSpec()
        if facts & {"int", "size", "num"}:
            role = "size" if "size" in facts else "value"
            return IntSpec(role, self.f.low.get(path), self.f.high.get(path))
        if "bool" in facts:
            from polca.skills.analysis.types import BoolSpec

            return BoolSpec()
        isinstance_types = sorted(f.split(":", 1)[1] for f in facts if f.startswith("isinstance:"))
        if isinstance_types:
            scalars = {"int": IntSpec(), "float": FloatSpec(), "str": StrSpec(), "list": SequenceSpec(Hole()),
                       "dict": DictSpec(Hole(), Hole()), "tuple": SequenceSpec(Hole(), "tuple"),
                       "set": SequenceSpec(Hole(), "set")}
            return union([scalars[t] for t in isinstance_types if t in scalars] or [Hole()])
        return None


def usage_facts(mod: Module, qualname: str, func: FuncNode, params: list[str]) -> Facts:
    """Read the body of ``func`` once; the facts left on its parameters' paths."""
    reader = _Reader(mod, qualname, func, params)
    reader.visit(func)
    return reader.out


def usage_specs(mod: Module, qualname: str, func: FuncNode, params: list[str]) -> dict[str, tuple[Spec | None, list[str]]]:
    """For each parameter: the Spec its usage shows (None when the body says nothing) and notes."""
    found = usage_facts(mod, qualname, func, params)
    resolver = _Resolver(found)
    out: dict[str, tuple[Spec | None, list[str]]] = {}
    specs = {p: resolver.spec((p,)) for p in params}
    for p in params:
        spec = _index_role(found, (p,), specs[p], specs)
        if spec is not None and "none" in found.facts.get((p,), set()) and not isinstance(spec, Hole):
            spec = union([spec, NoneSpec()])
        notes = [n for n in resolver.notes if n.split(".", 1)[0].split(" ", 1)[0] == p]
        out[p] = (spec, notes)
    return out


def _index_role(found: Facts, path: Path, spec: Spec | None, specs: dict[str, Spec | None]) -> Spec | None:
    """A parameter used to index a sequence parameter is an index bounded by its length."""
    container = found.index_of.get(path)
    if container is None or container not in specs:
        return spec
    target = specs[container]
    if not isinstance(target, (SequenceSpec, StrSpec, TupleSpec, ArraySpec)):
        return spec
    if spec is None or isinstance(spec, IntSpec):
        base = spec or IntSpec()
        if base.role == "size":
            return base
        return IntSpec("index", base.low, base.high, container)
    return spec
