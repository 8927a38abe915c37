"""Memoize a pure, module-level recursive function, safely at any recursion depth.

A cache alone is not safe at depth: the cache's wrapper counts against the
recursion limit too, so a cached recursion raises RecursionError at about half the depth
the plain one reached (measured: a linear recursion ran to n=990 plain, failed at n=500
cached). The rule therefore takes one of two forms, or leaves the function alone:

* **Iterative** (linear recurrences): ``f(n: int)`` whose body is base cases
  ``if COND: return BASE`` (or ``return BASE if COND else ...``) and one recursive
  ``return E`` where ``E`` calls ``f(n - c)`` (``c`` a positive int literal) and is
  otherwise integer arithmetic (``+ - *``, ``//``/``%`` by a non-zero literal, ``min``,
  ``max``, ``abs``) over ``n`` and int literals, and where some base case is
  ``n < K`` / ``n <= K``, so every chain of calls ends. The body becomes a loop over an
  explicit stack with a memo dict: each argument is evaluated once, in the order the
  memoized recursion would, and no depth raises RecursionError. Where the original ran out
  of stack (n beyond ~1000), the loop returns the value the recursion would have given
  with an unlimited stack: nothing here can raise, so no other exception can change.
* **Cached** (binary splitting): every self-call argument is a parameter unchanged or
  halved (``p // k`` with ``k >= 2``, ``p >> k`` with ``k >= 1``), at least one halved
  in each call: depth is about log2 of the argument, far below the limit for any int
  under 2**400, so ``@functools.lru_cache(maxsize=None, typed=True)`` is added (typed:
  a plain cache would answer ``f(1)`` with the result of ``f(True)`` or ``f(1.0)``). No
  parameter may be a ``float`` here: a typed cache still keys ``0.0`` and ``-0.0`` alike.

Both forms require, of a top-level ``def f(...)``:

1. ``f`` has no decorators, is not ``async``, has only plain parameters (no defaults,
   ``*args``, ``**kwargs``, keyword-only or positional-only markers), and the name ``f``
   is bound exactly once in the module;
2. ``f`` calls itself at least twice in its body (overlapping subproblems are likely;
   a single self-call gains nothing from a cache);
3. the body is pure as far as the code shows: it reads only its parameters, its own
   locals, ``f`` and the built-ins ``min max abs len range sum int divmod`` (not rebound
   in the module); it calls nothing else, touches no attribute, assigns no subscript,
   and has no ``global``, ``nonlocal``, ``yield``, ``await``, ``lambda`` or nested def;
4. every parameter is annotated ``int``, ``str``, ``bool``, ``float`` or ``bytes`` and
   every ``return`` value is built from hashable values (such parameters, literals,
   arithmetic, calls of ``f`` and of the listed built-ins): results are immutable, so a
   shared cached result cannot be mutated by a caller.

Other recursions (``C(n - 1, k - 1) + C(n - 1, k)`` and the like) are left alone: their
depth grows linearly and the cache would halve the depth they can reach.

Assumption, stated plainly: parameter annotations are trusted. A caller that passes an
unhashable value despite ``n: int`` gets TypeError from the cache.

Adds ``import functools`` if missing; skips the module if ``functools`` is bound any
other way.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct

_PURE_BUILTINS = {"min", "max", "abs", "len", "range", "sum", "int", "divmod"}
_HASHABLE_ANNOTATIONS = {"int", "str", "bool", "float", "bytes"}
_CONSTANTS = {"True", "False", "None"}
# typed=True: functools.cache keys 1, True and 1.0 as one argument and would return the
# result computed for another of them
_CACHE = "functools.lru_cache(maxsize=None, typed=True)"


def rewrite(module: cst.Module) -> cst.Module:
    imports = ct.imported_modules(module)
    if ct.binding_count(module, "functools") != (1 if "functools" in imports else 0):
        return module
    shadowed = ct.module_bindings(module)
    mapping: dict[int, cst.CSTNode] = {}
    cached = False
    for stmt in module.body:
        if not isinstance(stmt, cst.FunctionDef) or not _memoizable(module, stmt, shadowed):
            continue
        iterative = _iterative(stmt, shadowed)
        if iterative is not None:
            mapping[id(stmt)] = iterative
        elif _depth_logarithmic(stmt) and not _float_params(stmt):
            decorator = cst.Decorator(decorator=cst.parse_expression(_CACHE))
            mapping[id(stmt)] = stmt.with_changes(decorators=[decorator])
            cached = True
    if not mapping:
        return module
    module = ct.replace_nodes(module, mapping)
    return ct.add_import(module, "import functools") if cached else module


def _params(func: cst.FunctionDef) -> set[str] | None:
    p = func.params
    if p.star_arg is not cst.MaybeSentinel.DEFAULT or p.star_kwarg or p.kwonly_params or p.posonly_params:
        return None
    names = set()
    for param in p.params:
        annotation = param.annotation.annotation if param.annotation else None
        if param.default is not None or not isinstance(annotation, cst.Name):
            return None
        if annotation.value not in _HASHABLE_ANNOTATIONS:
            return None
        names.add(param.name.value)
    return names


def _memoizable(module: cst.Module, func: cst.FunctionDef, shadowed: set[str]) -> bool:
    name = func.name.value
    params = _params(func)
    if func.decorators or func.asynchronous or params is None or ct.binding_count(module, name) != 1:
        return False
    if _PURE_BUILTINS & shadowed:
        return False
    facts = ct.collect(func.body)
    if facts.impure or any(isinstance(n, cst.Attribute | cst.Del) for n in ct.walk(func.body)):
        return False
    if any(_writes_subscript(n) for n in ct.walk(func.body)):
        return False
    calls = [n for n in ct.walk(func.body) if isinstance(n, cst.Call)]
    if sum(ct.is_call_to(c, name) for c in calls) < 2:
        return False
    if not all(ct.is_call_to(c, name) or _is_builtin_call(c) for c in calls):
        return False
    local = facts.bound | params
    if not facts.read <= local | _PURE_BUILTINS | _CONSTANTS | {name}:
        return False
    hashable = params | ct.hashable_names(func, shadowed)
    returns = [n for n in ct.walk(func.body) if isinstance(n, cst.Return)]
    return bool(returns) and all(r.value is not None and _hashable(r.value, hashable, name) for r in returns)


def _is_builtin_call(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Name) and call.func.value in _PURE_BUILTINS


def _writes_subscript(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.AssignTarget | cst.AugAssign | cst.AnnAssign):
        return isinstance(node.target, cst.Subscript)
    return False


def _hashable(expr: cst.BaseExpression, names: set[str], self_name: str) -> bool:
    if ct.is_hashable_expr(expr, names):
        return True
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
        if expr.func.value == self_name:
            return True
        return expr.func.value in _PURE_BUILTINS - {"range"} and all(
            _hashable(a.value, names, self_name) for a in expr.args
        )
    if isinstance(expr, cst.BinaryOperation | cst.BooleanOperation):
        return _hashable(expr.left, names, self_name) and _hashable(expr.right, names, self_name)
    if isinstance(expr, cst.UnaryOperation):
        return _hashable(expr.expression, names, self_name)
    if isinstance(expr, cst.IfExp):
        return _hashable(expr.body, names, self_name) and _hashable(expr.orelse, names, self_name)
    if isinstance(expr, cst.GeneratorExp):
        return _hashable(expr.elt, names | ct.target_names(expr.for_in.target), self_name)
    return False


# --- binary splitting: depth logarithmic in the argument -----------------------------

def _float_params(func: cst.FunctionDef) -> bool:
    """Some parameter is a float: even a typed cache keys 0.0 and -0.0 as one."""
    return any(m.matches(p.annotation, m.Annotation(m.Name("float"))) for p in func.params.params)


def _depth_logarithmic(func: cst.FunctionDef) -> bool:
    """Every self-call passes each parameter unchanged or halved, at least one halved."""
    name = func.name.value
    params = [p.name.value for p in func.params.params]
    calls = [n for n in ct.walk(func.body) if ct.is_call_to(n, name)]
    for call in calls:
        if len(call.args) != len(params) or any(a.keyword or a.star for a in call.args):
            return False
        kinds = [_shrink(a.value, p) for a, p in zip(call.args, params, strict=True)]
        if None in kinds or "halved" not in kinds:
            return False
    return bool(calls)


def _shrink(expr: cst.BaseExpression, param: str) -> str | None:
    if m.matches(expr, m.Name(param)):
        return "same"
    if isinstance(expr, cst.BinaryOperation) and m.matches(expr.left, m.Name(param)) and isinstance(expr.right, cst.Integer):
        k = int(expr.right.value, 0)
        if (isinstance(expr.operator, cst.FloorDivide) and k >= 2) or (isinstance(expr.operator, cst.RightShift) and k >= 1):
            return "halved"
    return None


# --- linear recurrences: an explicit stack instead of the call stack -----------------

_INT_FUNCS = {"min", "max", "abs"}


def _iterative(func: cst.FunctionDef, shadowed: set[str]) -> cst.FunctionDef | None:
    """``func`` rewritten as a loop over an explicit stack, or None if not a linear recurrence."""
    params = func.params.params
    if len(params) != 1 or not m.matches(params[0].annotation, m.Annotation(m.Name("int"))):
        return None
    if _INT_FUNCS & shadowed:
        return None
    n, name = params[0].name.value, func.name.value
    cases = _cases(ct.body_statements(func))
    if cases is None:
        return None
    bases, recursive = cases
    offsets = _offsets(recursive, n, name)
    if not offsets or not all(_int_arith(v, n) and _condition(c, n) for c, v in bases):
        return None
    if not any(_lower_cutoff(c, n) for c, _ in bases):
        return None  # no base case stops every descending chain
    return func.with_changes(body=_loop_body(func, bases, recursive, offsets, n, name))


def _cases(statements):
    """([(condition, base value)...], recursive expression) or None."""
    body = list(statements)
    if body and m.matches(body[0], m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])):
        body = body[1:]
    if not body or not m.matches(body[-1], m.SimpleStatementLine(body=[m.Return()])):
        return None
    bases = []
    for stmt in body[:-1]:
        returned = _guarded_return(stmt)
        if returned is None:
            return None
        bases.append(returned)
    value = body[-1].body[0].value
    while isinstance(value, cst.IfExp):  # return BASE if COND else ...
        bases.append((value.test, value.body))
        value = value.orelse
    return (bases, value) if value is not None else None


def _guarded_return(stmt):
    if not isinstance(stmt, cst.If) or stmt.orelse is not None:
        return None
    inner = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else [stmt.body]
    if len(inner) != 1 or not isinstance(inner[0], cst.SimpleStatementLine | cst.SimpleStatementSuite):
        return None
    smalls = inner[0].body
    if len(smalls) != 1 or not isinstance(smalls[0], cst.Return) or smalls[0].value is None:
        return None
    return stmt.test, smalls[0].value


def _offsets(expr, n: str, name: str) -> list[int] | None:
    """The ``c`` of each ``name(n - c)`` in ``expr``, in evaluation order, if ``expr`` is
    otherwise integer arithmetic that cannot raise; else None."""
    found: list[int] = []

    def ok(e) -> bool:
        if ct.is_call_to(e, name):
            arg = e.args[0] if len(e.args) == 1 else None
            if arg is None or arg.keyword or arg.star or not m.matches(
                arg.value, m.BinaryOperation(left=m.Name(n), operator=m.Subtract(), right=m.Integer())
            ):
                return False
            c = int(arg.value.right.value, 0)
            found.append(c)
            return c >= 1
        return _int_arith(e, n, ok)

    return found if ok(expr) and found else None


def _int_arith(expr, n: str, inner=None) -> bool:
    """Integer arithmetic over ``n`` and int literals that cannot raise."""
    inner = inner or (lambda e: _int_arith(e, n))
    if isinstance(expr, cst.Integer) or m.matches(expr, m.Name(n)):
        return True
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.operator, cst.Minus | cst.Plus) and inner(expr.expression)
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Add | cst.Subtract | cst.Multiply):
            return inner(expr.left) and inner(expr.right)
        if isinstance(expr.operator, cst.FloorDivide | cst.Modulo):
            return inner(expr.left) and isinstance(expr.right, cst.Integer) and int(expr.right.value, 0) != 0
        return False
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in _INT_FUNCS:
        arity_ok = len(expr.args) == 1 if expr.func.value == "abs" else len(expr.args) >= 2
        return arity_ok and all(not a.keyword and not a.star and inner(a.value) for a in expr.args)
    return False


def _condition(test, n: str) -> bool:
    if isinstance(test, cst.BooleanOperation):
        return _condition(test.left, n) and _condition(test.right, n)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _condition(test.expression, n)
    if isinstance(test, cst.Comparison):
        ops = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual, cst.Equal, cst.NotEqual)
        return _int_arith(test.left, n) and all(
            isinstance(t.operator, ops) and _int_arith(t.comparator, n) for t in test.comparisons
        )
    return False


def _lower_cutoff(test, n: str) -> bool:
    """``test`` holds for every small enough ``n``: ``n < K``, ``n <= K`` (or in an ``or``)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _lower_cutoff(test.left, n) or _lower_cutoff(test.right, n)
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    op, right = test.comparisons[0].operator, test.comparisons[0].comparator
    constant = _int_arith(right, "") and not ct.names_read(right)
    if m.matches(test.left, m.Name(n)) and isinstance(op, cst.LessThan | cst.LessThanEqual):
        return constant
    left_constant = _int_arith(test.left, "") and not ct.names_read(test.left)
    return m.matches(right, m.Name(n)) and isinstance(op, cst.GreaterThan | cst.GreaterThanEqual) and left_constant


def _loop_body(func, bases, recursive, offsets, n: str, name: str) -> cst.IndentedBlock:
    memo, todo, top, need = f"_{name}_memo", f"_{name}_todo", f"_{name}_top", f"_{name}_need"
    code = cst.Module([])
    lines = [f"{top}, {memo}, {todo} = {n}, {{}}, [{n}]", f"while {todo}:", f"    {n} = {todo}[-1]"]
    for i, (test, value) in enumerate(bases):
        lines.append(f"    {'if' if i == 0 else 'elif'} {code.code_for_node(test)}:")
        lines.append(f"        {memo}[{n}] = {code.code_for_node(value)}")
    args = ", ".join(f"{n} - {c}" for c in offsets) + ("," if len(offsets) == 1 else "")
    lookup = _MemoLookups(name, memo).visit_expr(recursive)
    lines += [
        "    else:",
        f"        {need} = [a for a in ({args}) if a not in {memo}]",
        f"        if {need}:",
        f"            {todo}.append({need}[0])",
        "            continue",
        f"        {memo}[{n}] = {code.code_for_node(lookup)}",
        f"    {todo}.pop()",
        f"return {memo}[{top}]",
    ]
    new = list(cst.parse_module("\n".join(lines) + "\n").body)
    comment = cst.EmptyLine(comment=cst.Comment("# iterative form of the recursion: each argument once, at any depth"))
    new[0] = new[0].with_changes(leading_lines=[comment])
    docstring = [s for s in ct.body_statements(func)[:1]
                 if m.matches(s, m.SimpleStatementLine(body=[m.Expr(m.SimpleString())]))]
    header = func.body.header if isinstance(func.body, cst.IndentedBlock) else cst.TrailingWhitespace()
    return cst.IndentedBlock(body=[*docstring, *new], header=header)


class _MemoLookups(cst.CSTTransformer):
    """``f(n - c)`` -> ``memo[n - c]``."""

    def __init__(self, name: str, memo: str) -> None:
        self.name, self.memo = name, memo

    def visit_expr(self, expr):
        return expr.visit(self)

    def leave_Call(self, original, updated):
        if ct.is_call_to(original, self.name):
            return cst.Subscript(value=cst.Name(self.memo), slice=[cst.SubscriptElement(cst.Index(updated.args[0].value))])
        return updated
