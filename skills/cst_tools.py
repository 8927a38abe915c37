"""Helpers for writing ``rule.py`` rewrites with libcst.

Rules prove their preconditions from the code. The facts they need recur: which names a
subtree reads or binds, whether an expression is certainly of a hashable built-in type,
whether an expression calls anything, which modules a name is bound to. These helpers
answer conservatively: when unsure they say "no", so a rule built on them declines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import libcst as cst
import libcst.matchers as m

# Built-ins whose result is always of a hashable built-in type (int, str, float, bool,
# bytes), whatever the argument: a fact rules may rely on when the name is not rebound.
HASHABLE_RESULT_BUILTINS = frozenset(
    {"int", "str", "float", "bool", "len", "ord", "chr", "hash", "repr", "bytes", "bin", "hex", "oct"}
)
_ARITH_OK = (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide, cst.Modulo, cst.Divide, cst.Power)


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        self.read: set[str] = set()
        self.bound: set[str] = set()
        self.calls = 0
        self.impure = 0  # yield, await, lambda, walrus, nested scopes, global/nonlocal

    def visit_Name(self, node: cst.Name) -> None:
        self.read.add(node.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.bound |= target_names(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.bound |= target_names(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.bound |= target_names(node.target)

    def visit_For(self, node: cst.For) -> None:
        self.bound |= target_names(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.bound |= target_names(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self.bound |= target_names(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self.bound |= target_names(node.target)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:  # ``import a.b`` binds ``a``; ``from m import x`` binds x
            self.bound.add(cst.Module([]).code_for_node(node.name).split(".")[0])

    def visit_Call(self, node: cst.Call) -> None:
        self.calls += 1

    def _impure(self, node: cst.CSTNode) -> None:
        self.impure += 1

    visit_Yield = visit_Await = visit_Lambda = visit_NamedExpr = _impure
    visit_FunctionDef = visit_ClassDef = visit_Global = visit_Nonlocal = _impure


def collect(node: cst.CSTNode) -> _Collect:
    """Names read and bound in ``node``, its call count and impure constructs."""
    visitor = _Collect()
    node.visit(visitor)
    return visitor


def target_names(target: cst.BaseExpression) -> set[str]:
    """Names bound by an assignment target (``a``, ``a, b``, ``[a, *b]``); attributes and
    subscripts bind no name."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, cst.Tuple | cst.List):
        out: set[str] = set()
        for element in target.elements:
            out |= target_names(element.value)
        return out
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return set()


def names_read(node: cst.CSTNode) -> set[str]:
    return collect(node).read


def is_call_to(node: cst.CSTNode, name: str) -> bool:
    """``node`` is ``name(...)`` for a plain name."""
    return isinstance(node, cst.Call) and m.matches(node.func, m.Name(name))


def _hashable_literal(expr: cst.BaseExpression) -> bool | None:
    if isinstance(expr, cst.Integer | cst.Float | cst.Imaginary | cst.SimpleString):
        return True
    if isinstance(expr, cst.ConcatenatedString | cst.FormattedString):
        return True
    if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
        return True
    return None


def is_hashable_expr(
    expr: cst.BaseExpression, hashable_names: Iterable[str] = (), shadowed: Iterable[str] = ()
) -> bool:
    """``expr`` certainly evaluates to a hashable built-in value (or raises).

    Proven forms: literals, f-strings, names in ``hashable_names``, tuples of proven
    forms, calls to :data:`HASHABLE_RESULT_BUILTINS` not in ``shadowed``, arithmetic,
    unary operators and comparisons over proven forms.
    """
    names = set(hashable_names)
    shadow = set(shadowed)

    def ok(e: cst.BaseExpression) -> bool:
        literal = _hashable_literal(e)
        if literal is not None:
            return literal
        if isinstance(e, cst.Name):
            return e.value in names
        if isinstance(e, cst.Tuple):
            return all(isinstance(el, cst.Element) and ok(el.value) for el in e.elements)
        if isinstance(e, cst.Call) and isinstance(e.func, cst.Name):
            return e.func.value in HASHABLE_RESULT_BUILTINS and e.func.value not in shadow
        if isinstance(e, cst.BinaryOperation):
            return isinstance(e.operator, _ARITH_OK) and ok(e.left) and ok(e.right)
        if isinstance(e, cst.UnaryOperation):
            return ok(e.expression)
        if isinstance(e, cst.Comparison):
            return ok(e.left) and all(ok(c.comparator) for c in e.comparisons)
        return False

    return ok(expr)


def range_loop_names(node: cst.For | cst.CompFor, shadowed: Iterable[str] = ()) -> set[str]:
    """The loop variable of ``for i in range(...)`` (an int), else nothing."""
    if "range" in set(shadowed) or not is_call_to(node.iter, "range"):
        return set()
    return {node.target.value} if isinstance(node.target, cst.Name) else set()


def module_bindings(module: cst.Module) -> set[str]:
    """Every name bound anywhere in the module (any scope): a conservative shadow list."""
    return collect(module).bound | {
        n.name.value for n in _walk(module) if isinstance(n, cst.FunctionDef | cst.ClassDef | cst.Param)
    }


def _walk(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


def walk(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """``node`` and all its descendants, depth first."""
    return _walk(node)


def imported_modules(module: cst.Module) -> dict[str, str]:
    """Top-level ``import x`` / ``import x as y``: local name -> module name."""
    out = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = cst.Module([]).code_for_node(alias.name)
                    local = alias.asname.name.value if alias.asname else full.split(".")[0]
                    out[local] = full if alias.asname else local
    return out


def binding_count(module: cst.Module, name: str) -> int:
    """How many places bind ``name`` (imports, assignments, defs, loop targets...)."""
    count = 0
    for node in _walk(module):
        if isinstance(node, cst.AssignTarget | cst.AugAssign | cst.AnnAssign | cst.For | cst.CompFor):
            target = node.target
            count += name in target_names(target)
        elif isinstance(node, cst.AsName):
            count += name in target_names(node.name)
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            count += node.name.value == name
        elif isinstance(node, cst.ImportAlias) and node.asname is None:
            count += cst.Module([]).code_for_node(node.name).split(".")[0] == name
        elif isinstance(node, cst.Param):
            count += node.name.value == name
    return count


def add_import(module: cst.Module, statement: str) -> cst.Module:
    """Insert ``statement`` (e.g. ``"import itertools"``) after the docstring, the
    ``__future__`` imports and the other top-level imports, unless already present."""
    new = cst.parse_statement(statement + "\n")
    code = cst.Module([])
    if any(code.code_for_node(s).strip() == statement for s in module.body):
        return module
    index = 0
    for i, stmt in enumerate(module.body):
        if m.matches(stmt, m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])):
            index = i + 1
        elif i == 0 and m.matches(stmt, m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])):
            index = 1
    body = list(module.body)
    body.insert(index, new)
    return module.with_changes(body=body)


class _Replace(cst.CSTTransformer):
    def __init__(self, mapping: Mapping[int, object]) -> None:
        self.mapping = mapping

    def on_leave(self, original_node, updated_node):
        if id(original_node) in self.mapping:
            new = self.mapping[id(original_node)]
            return new(updated_node) if callable(new) else new
        return updated_node


def replace_nodes(tree: cst.CSTNode, mapping: Mapping[int, object]):
    """``tree`` with each node whose ``id()`` is a key replaced by its value: a node, a
    ``FlattenSentinel`` of statements, ``RemovalSentinel.REMOVE``, or a function of the
    node with its children already replaced (for edits that must keep inner edits)."""
    return tree.visit(_Replace(mapping))


def functions(module: cst.Module) -> list[cst.FunctionDef]:
    """Every function definition in the module, nested ones included."""
    return [n for n in _walk(module) if isinstance(n, cst.FunctionDef)]


def body_statements(func: cst.FunctionDef) -> list[cst.BaseStatement]:
    """The top-level statements of a function body (empty for a one-line body)."""
    if isinstance(func.body, cst.IndentedBlock):
        return list(func.body.body)
    return []


class _Refs(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``x.name`` reads x, not name
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # ``f(name=1)`` names a keyword, not a variable
        return False


def name_refs(tree: cst.CSTNode, name: str) -> list[cst.Name]:
    """Every ``Name`` node in ``tree`` that refers to the variable ``name`` (reads and
    bindings), skipping attribute names and keyword-argument names."""
    visitor = _Refs(name)
    tree.visit(visitor)
    return visitor.found


LOOP_NODES = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def ids_inside_loops(tree: cst.CSTNode) -> set[int]:
    """``id()`` of every node that runs once per iteration of some loop in ``tree``."""
    out: set[int] = set()
    for node in _walk(tree):
        if isinstance(node, cst.For | cst.While):
            parts = [node.body]
            if isinstance(node, cst.While):
                parts.append(node.test)
        elif isinstance(node, LOOP_NODES):
            parts = [c for c in node.children if not isinstance(c, cst.CompFor)]
            parts += [c for c in _walk(node.for_in) if isinstance(c, cst.CompIf)]
        else:
            continue
        for part in parts:
            out |= {id(n) for n in _walk(part)}
    return out


def hashable_names(func: cst.FunctionDef, shadowed: Iterable[str]) -> set[str]:
    """Local names of ``func`` every binding of which gives a hashable built-in value:
    ``for i in range(...)`` targets and assignments of proven-hashable expressions.
    Parameters and names bound any other way are never included."""
    shadow = set(shadowed)
    bindings: dict[str, list[object]] = {}
    params = {p.name.value for p in _walk(func.params) if isinstance(p, cst.Param)}
    for node in _walk(func.body):
        if isinstance(node, cst.For | cst.CompFor):
            for name in target_names(node.target):
                bindings.setdefault(name, []).append(("range", node))
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                for name in target_names(target.target):
                    kind = "value" if isinstance(target.target, cst.Name) else "other"
                    bindings.setdefault(name, []).append((kind, node.value))
        elif isinstance(node, cst.AugAssign | cst.AnnAssign | cst.AsName | cst.Del):
            for name in target_names(node.target if not isinstance(node, cst.AsName) else node.name):
                bindings.setdefault(name, []).append(("other", node))
    proven: set[str] = set()
    for _ in range(4):  # a few rounds settle chains like a = 1; b = a + 1
        for name, binds in bindings.items():
            if name in params or name in proven:
                continue
            if all(_binding_hashable(kind, node, proven, shadow) for kind, node in binds):
                proven.add(name)
    return proven


def _binding_hashable(kind: str, node, proven: set[str], shadow: set[str]) -> bool:
    if kind == "range":
        return bool(range_loop_names(node, shadow))
    if kind == "value":
        return is_hashable_expr(node, proven, shadow)
    return False


def parent_map(tree: cst.CSTNode) -> dict[int, cst.CSTNode]:
    """``id(child) -> parent`` for every node under ``tree``."""
    out: dict[int, cst.CSTNode] = {}
    for node in _walk(tree):
        for child in node.children:
            out[id(child)] = node
    return out


def method_call_on(ref: cst.Name, parents: Mapping[int, cst.CSTNode]) -> tuple[str, cst.Call] | None:
    """If ``ref`` is the receiver of ``ref.method(...)``, return (method, call)."""
    attr = parents.get(id(ref))
    if not isinstance(attr, cst.Attribute) or attr.value is not ref:
        return None
    call = parents.get(id(attr))
    if isinstance(call, cst.Call) and call.func is attr:
        return attr.attr.value, call
    return None


def is_truth_test(ref: cst.Name, parents: Mapping[int, cst.CSTNode]) -> bool:
    """``ref`` is only tested for truth: ``while ref:``, ``if ref:``, ``not ref``."""
    parent = parents.get(id(ref))
    if isinstance(parent, cst.While | cst.If):
        return parent.test is ref
    return isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not)


def is_len_of(ref: cst.Name, parents: Mapping[int, cst.CSTNode], shadowed: set[str]) -> bool:
    """``ref`` is the only argument of the built-in ``len``."""
    arg = parents.get(id(ref))
    call = parents.get(id(arg)) if isinstance(arg, cst.Arg) else None
    return (
        "len" not in shadowed
        and isinstance(call, cst.Call)
        and is_call_to(call, "len")
        and len(call.args) == 1
        and arg.keyword is None
        and arg.star == ""
    )


def local_list_assign(func: cst.FunctionDef, name: str) -> cst.Assign | None:
    """The single ``name = [...]``-style binding of a local ``name`` in ``func``, if the
    function binds ``name`` exactly once and declares no global/nonlocal."""
    if any(isinstance(n, cst.Global | cst.Nonlocal) for n in _walk(func)):
        return None
    if binding_count(func, name) != 1:
        return None
    for node in _walk(func.body):
        if (
            isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and m.matches(node.targets[0].target, m.Name(name))
        ):
            return node
    return None


# --- Text facts: which expressions certainly evaluate to ``str`` (for the join and str-method rules) ---

STR_RESULT_BUILTINS = frozenset({"str", "repr", "chr", "format", "ascii", "hex", "oct", "bin"})
"""Built-ins whose result is always a ``str`` (or which raise)."""
STR_RETURNING_METHODS = frozenset({
    "upper", "lower", "strip", "lstrip", "rstrip", "replace", "join", "format", "title",
    "capitalize", "casefold", "swapcase", "center", "ljust", "rjust", "zfill", "expandtabs",
    "removeprefix", "removesuffix", "translate",
})
"""Methods of ``str`` that return a ``str``: on a proven str receiver, the result is one."""
_STR_KEYED = ("dict[str,", "Dict[str,", "Mapping[str,")
_STR_CONTAINERS = ("list[str]", "tuple[str]", "set[str]", "frozenset[str]", "List[str]", "Sequence[str]")


def is_str_expr(expr: cst.BaseExpression, str_names: Iterable[str] = (), shadowed: Iterable[str] = ()) -> bool:
    """``expr`` certainly evaluates to a ``str`` (or raises where it stands).

    Proven forms: str literals and f-strings, names in ``str_names``, calls to
    :data:`STR_RESULT_BUILTINS` not in ``shadowed``, :data:`STR_RETURNING_METHODS` on a
    proven receiver, indexing or slicing a proven str, ``+`` of proven forms, ``%`` with a
    proven left side and ``*`` with a proven side.
    """
    names, shadow = set(str_names), set(shadowed)

    def ok(e: cst.BaseExpression) -> bool:
        if isinstance(e, cst.SimpleString | cst.FormattedString):
            return "b" not in e.prefix.lower()
        if isinstance(e, cst.ConcatenatedString):
            return ok(e.left) and ok(e.right)
        if isinstance(e, cst.Name):
            return e.value in names
        if isinstance(e, cst.Call) and isinstance(e.func, cst.Name):
            return e.func.value in STR_RESULT_BUILTINS and e.func.value not in shadow
        if isinstance(e, cst.Call) and isinstance(e.func, cst.Attribute):
            return e.func.attr.value in STR_RETURNING_METHODS and ok(e.func.value)
        if isinstance(e, cst.Subscript):
            return ok(e.value)
        if isinstance(e, cst.BinaryOperation):
            if isinstance(e.operator, cst.Add):
                return ok(e.left) and ok(e.right)
            if isinstance(e.operator, cst.Modulo):
                return ok(e.left)
            if isinstance(e.operator, cst.Multiply):
                return ok(e.left) or ok(e.right)
        return False

    return ok(expr)


Binding = tuple[str, cst.CSTNode]
"""How a name is bound: ``("each", for_node)`` a ``for`` over one name, ``("unpack", for_node)``
a ``for`` unpacking a tuple (no star), ``("value", expr)`` a plain assignment, ``("other", node)``
anything else (starred targets, augmented, annotated, ``with ... as``, ``del``, walrus)."""


def name_bindings(func: cst.FunctionDef) -> dict[str, list[Binding]]:
    """Every binding of every name in ``func``'s body, in source order."""
    bindings: dict[str, list[Binding]] = {}
    for node in _walk(func.body):
        if isinstance(node, cst.For | cst.CompFor):
            starred = any(isinstance(n, cst.StarredElement) for n in _walk(node.target))
            kind = "each" if isinstance(node.target, cst.Name) else "other" if starred else "unpack"
            for name in target_names(node.target):
                bindings.setdefault(name, []).append((kind, node))
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                for name in target_names(target.target):
                    kind = "value" if isinstance(target.target, cst.Name) else "other"
                    bindings.setdefault(name, []).append((kind, node.value))
        elif isinstance(node, cst.AugAssign | cst.AnnAssign | cst.AsName | cst.Del | cst.NamedExpr):
            for name in target_names(node.name if isinstance(node, cst.AsName) else node.target):
                bindings.setdefault(name, []).append(("other", node))
    return bindings


def settle(func: cst.FunctionDef, proven: set[str], ok) -> set[str]:
    """``proven`` grown by the locals (not parameters) of ``func`` every binding of which
    satisfies ``ok(kind, node, proven)``; a few rounds settle chains like ``k = x % 7`` after
    ``for x in xs``."""
    params = {p.name.value for p in _walk(func.params) if isinstance(p, cst.Param)}
    bindings = name_bindings(func)
    for _ in range(4):
        for name, binds in bindings.items():
            if name not in params and name not in proven and all(ok(k, v, proven) for k, v in binds):
                proven.add(name)
    return proven


def str_names(func: cst.FunctionDef, type_of, rebound: Iterable[str], shadowed: Iterable[str]) -> set[str]:
    """Names of ``func`` that always hold a ``str``: parameters typed ``str`` (by
    ``type_of(name)``, e.g. :meth:`FunctionFacts.type_of`) and never rebound, loop
    variables over a proven str or over a never-rebound name typed ``list[str]`` and the
    like (or a dict with str keys), and locals every binding of which is a proven str expression."""
    shadow, moved = set(shadowed), set(rebound)
    params = {p.name.value for p in _walk(func.params) if isinstance(p, cst.Param)}
    proven = {p for p in params if p not in moved and type_of(p) == "str"}
    return settle(func, proven, lambda kind, node, known: _str_binding(kind, node, known, shadow, type_of, moved))


def _str_binding(kind, node, proven, shadow, type_of, moved) -> bool:
    if kind == "value":
        return is_str_expr(node, proven, shadow)
    if kind != "each":
        return False
    value = node.iter
    if is_str_expr(value, proven, shadow):
        return True  # iterating a str gives one-character strs
    if not isinstance(value, cst.Name) or value.value in moved:
        return False
    kind = type_of(value.value) or ""
    return kind in _STR_CONTAINERS or kind.startswith(_STR_KEYED)  # iterating a dict gives its keys


# ---- statement-pair helpers (for the math-builtins, closed-form-arithmetic rules) ----


def own_blocks(func: cst.FunctionDef) -> list[cst.IndentedBlock]:
    """Statement blocks of ``func`` itself, not of functions or classes nested in it."""
    out, stack = [], [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.IndentedBlock):
            out.append(node)
        stack.extend(c for c in node.children if not isinstance(c, cst.FunctionDef | cst.ClassDef))
    return out


def read_outside(func: cst.FunctionDef, name: str, node: cst.CSTNode) -> bool:
    """``name`` is referred to somewhere in ``func`` outside ``node`` (so removing ``node``,
    e.g. a loop binding ``name``, could change what that reference sees)."""
    inside = {id(n) for n in _walk(node)}
    return any(id(ref) not in inside for ref in name_refs(func, name))


def int_operand(expr: cst.BaseExpression, types: Mapping[str, str], shadowed: Iterable[str] = ()) -> bool:
    """``expr`` is an int literal, a name whose type (``types``) is int or bool, or
    ``len(name)`` with the built-in ``len``: an int that is cheap and pure to evaluate twice."""
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.Name):
        return types.get(expr.value) in ("int", "bool")
    return (is_call_to(expr, "len") and "len" not in set(shadowed) and len(expr.args) == 1
            and isinstance(expr.args[0].value, cst.Name) and expr.args[0].keyword is None
            and expr.args[0].star == "")


def int_arith_operand(expr: cst.BaseExpression, types: Mapping[str, str], shadowed: Iterable[str] = ()) -> bool:
    """``expr`` is an :func:`int_operand` or ``+``, ``-``, ``*`` and unary minus over such
    operands (``n + 1``, ``2 * len(xs) - 1``): an int, pure and cheap to evaluate again.
    Its code must be parenthesized where it is spliced into a larger expression."""
    if isinstance(expr, cst.BinaryOperation):
        return (isinstance(expr.operator, cst.Add | cst.Subtract | cst.Multiply)
                and int_arith_operand(expr.left, types, shadowed) and int_arith_operand(expr.right, types, shadowed))
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.operator, cst.Minus) and int_arith_operand(expr.expression, types, shadowed)
    return int_operand(expr, types, shadowed)


def own_nodes(func: cst.FunctionDef) -> list[cst.CSTNode]:
    """The nodes of ``func``'s body, depth first, not entering nested functions, lambdas or
    classes, whose names may be other variables than ``func``'s: facts proven for
    ``func``'s names hold only here."""

    def visit(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        yield node
        for child in node.children:
            if not isinstance(child, cst.FunctionDef | cst.Lambda | cst.ClassDef):
                yield from visit(child)

    return list(visit(func.body))


# ---- module-level helpers a rule adds (for the prefix sums, sieve, sliding window rules) ----


def has_statement(module: cst.Module, source: str) -> bool:
    """A top-level statement of ``module`` is ``source`` exactly (modulo surrounding blank lines)."""
    code = cst.Module([])
    return any(code.code_for_node(s).strip() == source.strip() for s in module.body)


def insert_helper(module: cst.Module, source: str) -> cst.Module:
    """``module`` with the top-level statement ``source`` (a helper function, its state)
    placed right after the docstring and the imports, before any code that could call it
    at import time, with two blank lines around it; unchanged when it is already there."""
    if has_statement(module, source):
        return module
    body = list(module.body)
    index = 0
    for i, stmt in enumerate(body):
        if m.matches(stmt, m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])):
            index = i + 1
        elif i == 0 and m.matches(stmt, m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])):
            index = 1
    two = [cst.EmptyLine(), cst.EmptyLine()]
    if index < len(body):
        kept = [line for line in body[index].leading_lines if line.comment is not None]
        body[index] = body[index].with_changes(leading_lines=two + kept)
    body.insert(index, cst.parse_statement(source).with_changes(leading_lines=two if index else []))
    return module.with_changes(body=body)
# --- Fresh names and statement placement (for the index, hoisting, heap rules) ---

class FreshNames:
    """Names that nothing in ``scope`` binds or reads, each handed out once:
    ``fresh = FreshNames(func); fresh("xs_sorted")`` gives ``xs_sorted``, then ``xs_sorted_2``.
    For a new local of a function pass the function: a global of the same name that the
    function never reads is not disturbed by a local that shadows it."""

    def __init__(self, scope: cst.CSTNode) -> None:
        # ``x.name`` and ``f(name=...)`` do not use the variable ``name``
        labels = {id(n.attr) for n in _walk(scope) if isinstance(n, cst.Attribute)}
        labels |= {id(n.keyword) for n in _walk(scope) if isinstance(n, cst.Arg) and n.keyword is not None}
        variables = {n.value for n in _walk(scope) if isinstance(n, cst.Name) and id(n) not in labels}
        self.taken = module_bindings(scope) | variables

    def __call__(self, base: str) -> str:
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def outer_loops(node: cst.CSTNode) -> list[cst.For | cst.While]:
    """The outermost ``for``/``while`` statements under ``node``, not inside nested scopes."""
    found = []
    for child in node.children:
        if isinstance(child, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(child, cst.For | cst.While):
            found.append(child)
        else:
            found.extend(outer_loops(child))
    return found


def insert_before(mapping: dict, stmt: cst.CSTNode, statements: list[cst.BaseStatement]) -> None:
    """Record in a :func:`replace_nodes` mapping that ``statements`` go right before ``stmt``
    (keeping the edits made inside ``stmt``)."""
    mapping[id(stmt)] = lambda updated: cst.FlattenSentinel([*statements, updated])


def loop_regions(node: cst.CSTNode):
    """(statement, parts run once per iteration) for the outermost ``for``/``while``
    statements under ``node`` (their bodies; a ``while``'s test too) and for simple
    statements outside loops that hold comprehensions (see :func:`repeated_parts`);
    nested scopes are skipped. A rule that hoists work out of those parts puts it right
    before the statement."""
    for child in node.children:
        if isinstance(child, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(child, cst.For) and not child.asynchronous:
            yield child, [child.body]
        elif isinstance(child, cst.While):
            yield child, [child.test, child.body]
        elif isinstance(child, cst.SimpleStatementLine):
            regions = [part for comp in walk(child) if isinstance(comp, COMPREHENSIONS) for part in repeated_parts(comp)]
            if regions:
                yield child, regions
        elif not isinstance(child, cst.For | cst.While):
            yield from loop_regions(child)


COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def repeated_parts(comp) -> list[cst.CSTNode]:
    """The parts of a comprehension evaluated once per element: all but the first iterable."""
    parts = [comp.key, comp.value] if isinstance(comp, cst.DictComp) else [comp.elt]
    for_in = comp.for_in
    parts += list(for_in.ifs)
    inner = for_in.inner_for_in
    while inner is not None:
        parts += [inner.iter, *inner.ifs]
        inner = inner.inner_for_in
    return parts


def loop_variable_read_after(func: cst.FunctionDef, loop: cst.For) -> bool:
    """Some variable bound by ``loop``'s target may be read outside ``loop``: a reference
    that is not inside ``loop``, nor the target or body of another ``for`` binding the same
    name, nor inside a comprehension binding it (its own scope)."""
    for name in target_names(loop.target):
        own: set[int] = {id(n) for n in _walk(loop)}
        for other in _walk(func.body):
            if isinstance(other, cst.For) and other is not loop and name in target_names(other.target):
                own |= {id(n) for n in _walk(other.target)} | {id(n) for n in _walk(other.body)}
            elif isinstance(other, COMPREHENSIONS) and _comprehension_binds(other, name):
                outer_iter = {id(n) for n in _walk(other.for_in.iter)}
                own |= {id(n) for n in _walk(other)} - outer_iter
        if any(id(ref) not in own for ref in name_refs(func.body, name)):
            return True
    return False


def _comprehension_binds(comp, name: str) -> bool:
    for_in = comp.for_in
    while for_in is not None:
        if name in target_names(for_in.target):
            return True
        for_in = for_in.inner_for_in
    return False
