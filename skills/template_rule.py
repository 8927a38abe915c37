"""Statement templates with holes, and the executable rewrite a mined template becomes.

A template is a pair of statements, ``before`` and ``after``, written as Python source in
which two kinds of hole stand for code: ``__vN__`` matches one identifier (a variable),
``__hN__`` matches any expression. The same hole must match the same code everywhere in
``before``; ``after`` uses only holes of ``before``. For example::

    before: __v0__ = __v0__ + [__h0__]
    after:  __v0__.append(__h0__)

A :class:`TemplateRule` rewrites every statement that matches ``before`` and whose
preconditions hold, which are provable from the code:

- the statement sits alone on its lines (no ``;``), inside a loop or not as in the pairs
  it was mined from (``loop_contexts``);
- every other use of the variable the statement assigns, in the enclosing function, is of
  a kind seen in those pairs (``uses``: ``in-operand``, ``returned``, ``iterated``, ...),
  so a list that is later indexed is not turned into a set.

Mined skills' ``rule.py`` files are three lines that build a TemplateRule.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import libcst as cst

from polca.parsing import parse_python

_VAR = re.compile(r"^__v\d+__$")
_HOLE = re.compile(r"^__h\d+__$")


def is_var(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and bool(_VAR.match(node.id))


def is_hole(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and bool(_HOLE.match(node.id))


def parse_statement(text: str) -> ast.stmt:
    """The single statement in ``text``; anything else raises ValueError."""
    body = parse_python(text).body
    if len(body) != 1:
        raise ValueError(f"a template must be one statement, got {len(body)} in {text!r}")
    return body[0]


def _bind(key: str, value: ast.AST, bindings: dict[str, ast.AST]) -> bool:
    if key in bindings:
        return ast.dump(bindings[key]) == ast.dump(value)
    bindings[key] = value
    return True


def match(template: ast.AST, node: ast.AST, bindings: dict[str, ast.AST]) -> bool:
    """Does ``node`` match ``template``? Fills ``bindings`` (hole name -> code) on success."""
    if is_hole(template):
        return isinstance(node, ast.expr) and _bind(template.id, _load(node), bindings)
    if is_var(template):
        return isinstance(node, ast.Name) and _bind(template.id, ast.Name(node.id), bindings)
    if type(template) is not type(node):
        return False
    for name in template._fields:
        if not _match_field(getattr(template, name, None), getattr(node, name, None), bindings):
            return False
    return True


def _match_field(expected: object, actual: object, bindings: dict[str, ast.AST]) -> bool:
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return False
        return all(_match_field(e, a, bindings) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, ast.AST):
        return isinstance(actual, ast.AST) and match(expected, actual, bindings)
    return expected == actual


def _load(node: ast.AST) -> ast.AST:
    """``node`` with its context made Load, so equal code binds equally wherever it sits."""
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return node


class _Fill(ast.NodeTransformer):
    def __init__(self, bindings: Mapping[str, ast.AST]) -> None:
        self.bindings = bindings

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.bindings:
            value = copy.deepcopy(self.bindings[node.id])
            if isinstance(value, ast.Name):
                return ast.copy_location(ast.Name(value.id, node.ctx), node)
            return value
        return node


def instantiate(template: ast.AST, bindings: Mapping[str, ast.AST]) -> ast.AST:
    """``template`` with every hole replaced by its bound code."""
    return ast.fix_missing_locations(_Fill(bindings).visit(copy.deepcopy(template)))


def use_kind(name: ast.Name, parents: Mapping[int, ast.AST]) -> str:
    """How a variable is used where ``name`` reads or writes it."""
    parent = parents.get(id(name))
    if isinstance(name.ctx, ast.Store | ast.Del):
        return "assigned"
    if isinstance(parent, ast.Compare) and name in parent.comparators:
        index = parent.comparators.index(name)
        if isinstance(parent.ops[index], ast.In | ast.NotIn):
            return "in-operand"
    kinds = {
        ast.Return: "returned",
        ast.For: "iterated",
        ast.comprehension: "iterated",
        ast.Subscript: "subscripted",
        ast.Attribute: "attribute",
        ast.Call: "call-argument",
        ast.Assign: "aliased",
        ast.Compare: "compared",
        ast.BinOp: "arithmetic",
        ast.AugAssign: "arithmetic",
    }
    for kind, label in kinds.items():
        if isinstance(parent, kind):
            if kind is ast.Call and parent.func is name:
                return "called"
            return label
    return "other"


def parent_map(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def uses_of(scope: ast.AST, name: str, skip: ast.AST | None = None) -> set[str]:
    """Kinds of use of ``name`` in ``scope``, leaving out the statement ``skip``."""
    parents = parent_map(scope)
    inside = {id(n) for n in ast.walk(skip)} if skip is not None else set()
    return {
        use_kind(node, parents)
        for node in ast.walk(scope)
        if isinstance(node, ast.Name) and node.id == name and id(node) not in inside
    }


def assigned_var(template: ast.stmt) -> str | None:
    """The variable hole a template statement assigns (``__v0__ = ...``), if any."""
    if isinstance(template, ast.Assign) and len(template.targets) == 1 and is_var(template.targets[0]):
        return template.targets[0].id
    return None


@dataclass(frozen=True)
class Site:
    """A statement, its enclosing scope, and whether a loop encloses it."""

    stmt: ast.stmt
    scope: ast.AST
    in_loop: bool


def sites(tree: ast.AST) -> Iterator[Site]:
    """Every statement of ``tree`` with its scope and loop context."""
    yield from _sites(tree, tree, False)


def _sites(node: ast.AST, scope: ast.AST, in_loop: bool) -> Iterator[Site]:
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, name, None) or []:
            if not isinstance(child, ast.stmt):  # an except handler or a match case
                yield from _sites(child, scope, in_loop)
                continue
            yield Site(child, scope, in_loop)
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from _sites(child, child, False)
            else:
                loop = in_loop or isinstance(child, ast.For | ast.AsyncFor | ast.While)
                yield from _sites(child, scope, loop)


@dataclass(frozen=True)
class TemplateRule:
    """An executable rewrite from a mined template (see the module docstring)."""

    before: str
    after: str
    loop_contexts: tuple[bool, ...] = (False, True)
    uses: tuple[str, ...] = ()
    _parsed: tuple[ast.stmt, ast.stmt] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_parsed", (parse_statement(self.before), parse_statement(self.after)))

    def rewrite_source(self, source: str) -> str:
        """``source`` with every provably safe match rewritten; unchanged when none is."""
        try:
            tree = parse_python(source)
        except SyntaxError:
            return source
        lines = source.splitlines(keepends=True)
        edits = [edit for site in sites(tree) if (edit := self._edit(site, lines)) is not None]
        for start, end, text in sorted(edits, reverse=True):
            lines[start:end] = [text]
        return "".join(lines)

    def rewrite(self, module: cst.Module) -> cst.Module:
        """The libcst entry point of a skill's ``rule.py``."""
        code = module.code
        new = self.rewrite_source(code)
        return module if new == code else cst.parse_module(new)

    def _edit(self, site: Site, lines: list[str]) -> tuple[int, int, str] | None:
        before, after = self._parsed
        bindings: dict[str, ast.AST] = {}
        if site.in_loop not in self.loop_contexts or not match(before, site.stmt, bindings):
            return None
        if not self._uses_allowed(site, bindings) or not _alone_on_lines(site.stmt, lines):
            return None
        first = lines[site.stmt.lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        comment = lines[site.stmt.end_lineno - 1].rstrip("\r\n")[site.stmt.end_col_offset :].strip()
        text = indent + ast.unparse(instantiate(after, bindings)) + (f"  {comment}" if comment else "") + "\n"
        return site.stmt.lineno - 1, site.stmt.end_lineno, text

    def _uses_allowed(self, site: Site, bindings: Mapping[str, ast.AST]) -> bool:
        var = assigned_var(self._parsed[0])
        if var is None:
            return True
        name = bindings[var].id
        return uses_of(site.scope, name, skip=site.stmt) <= set(self.uses)


def _alone_on_lines(stmt: ast.stmt, lines: list[str]) -> bool:
    first = lines[stmt.lineno - 1]
    if len(first) - len(first.lstrip()) != stmt.col_offset:
        return False
    last = lines[stmt.end_lineno - 1].rstrip("\r\n")
    tail = last[stmt.end_col_offset :].strip()
    return tail == "" or tail.startswith("#")
