"""What ``ModelNew.forward`` runs: the candidate's own functions it reaches, statically.

Starting from ``ModelNew.forward``, a call is followed into

- a function of the candidate called by name (``helper(x)``, a nested ``def``),
- a method of the class it is in or of an own base class (``self._step(x)``), or of an own
  class named in the call (``Ops.scale(x)``),
- the ``forward`` of the candidate's own ``nn.Module`` subclasses that a ``self`` attribute
  may hold, when that attribute is called (``self.block(x)``, ``self.blocks[0](x)``, or a
  loop over ``self.blocks`` that calls its variable); an attribute holds what its assignment
  constructs, directly or inside ``nn.Sequential``/``ModuleList``/``ModuleDict``, through
  local names (``layers.append(Block())``) and the returns of the candidate's own helpers,
- the ``forward`` of the candidate's own ``torch.autograd.Function`` subclasses whose
  ``apply`` is called (``Fused.apply(x)``, or a name bound to it).

Dead code is not followed: the branch an ``if``/``while`` with a constant test never takes
(literals, module-level names bound once to a literal, ``not``, ``and``/``or``, ``==``/``is``),
and statements after a ``return``, ``raise``, ``break`` or ``continue`` in the same block.
What an attribute holds is read without regard to order, so this says what ``forward`` can
run, not what it does; the profiler check confirms at run time that a kernel ran.
What a parser cannot resolve (``getattr`` with a computed name, modules passed in as
arguments) is not followed either, so a kernel reached only that way counts as not reached.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

_MODULE_BASES = frozenset(["torch.nn.Module"])
_FUNCTION_BASES = frozenset(["torch.autograd.Function"])
_GROWING_METHODS = frozenset(["append", "extend", "insert", "add_module", "register_module"])
# torch.nn classes that hold modules or tensors and compute nothing themselves
_HOLDERS = frozenset(["torch.nn.Module", "torch.nn.Parameter", "torch.nn.ParameterList", "torch.nn.ParameterDict",
                      "torch.nn.ModuleList", "torch.nn.ModuleDict", "torch.nn.Sequential"])

Dotted = Callable[[ast.AST], str | None]
_UNKNOWN = object()
_CONSTANT_COMPARE = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)
_Callee = tuple[ast.FunctionDef, bool]
_Held = tuple[list[ast.ClassDef], list[str]]


@dataclass
class Reach:
    """The functions ``ModelNew.forward`` runs (``functions``, forward first); of them, the
    ``forward`` methods entered from outside the candidate's own calls, whose arguments are
    tensors (``entries``); the classes whose instances run (``classes``); the calls those
    functions make where they can run (``calls``) and, of them, the ones that run a
    ``torch.nn`` layer held in an attribute or container (``layer_calls``, with the layer)."""

    functions: list[ast.FunctionDef] = field(default_factory=list)
    entries: list[ast.FunctionDef] = field(default_factory=list)
    classes: list[ast.ClassDef] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)  # every call they make in live code
    layer_calls: list[tuple[ast.Call, str]] = field(default_factory=list)


def live_nodes(node: ast.AST, constants: dict[str, object]) -> Iterator[ast.AST]:
    """``ast.walk`` in source order, less what cannot run (see the module docstring);
    ``constants`` are module-level names bound once to a literal (``DEBUG = False``)."""
    yield node
    for child in _live_children(node, constants):
        yield from live_nodes(child, constants)


def _live_children(node: ast.AST, constants: dict[str, object]) -> Iterator[ast.AST]:
    test = _constant_value(node.test, constants) if isinstance(node, ast.If | ast.While | ast.IfExp) else _UNKNOWN
    if test is not _UNKNOWN:
        taken = node.body if test else node.orelse
        yield from taken if isinstance(taken, list) else [taken]
        return
    for value in (getattr(node, name) for name in node._fields):
        if isinstance(value, ast.AST):
            yield value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
                if isinstance(item, ast.Return | ast.Raise | ast.Break | ast.Continue):
                    break


class _Program:
    """The candidate's classes and functions, and what each ``self`` attribute may hold."""

    def __init__(self, tree: ast.Module, dotted: Dotted, skip: set[str]) -> None:
        self.tree = tree
        self.constants = _module_constants(tree)
        self.dotted = dotted
        self.functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name not in skip}
        classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        self.classes = {cls.name: cls for cls in classes}
        self.modules = _own_subclasses(classes, dotted, _MODULE_BASES)
        self.autograd = _own_subclasses(classes, dotted, _FUNCTION_BASES)
        self.owner = {id(item): cls for cls in classes for item in ast.walk(cls) if isinstance(item, ast.FunctionDef)}
        self.scope = {id(child): fn for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                      for child in ast.walk(fn) if child is not fn}
        self.apply_names = {
            target.id: self.autograd[node.value.value.id] for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and _is_apply(node.value, self.autograd)
            for target in node.targets if isinstance(target, ast.Name)
        }

    def method(self, cls: ast.ClassDef | None, name: str) -> ast.FunctionDef | None:
        """``name`` defined in ``cls`` or one of its own base classes."""
        while cls is not None:
            found = next((i for i in cls.body if isinstance(i, ast.FunctionDef) and i.name == name), None)
            if found is not None:
                return found
            base = next((self.modules[b.id] for b in cls.bases if isinstance(b, ast.Name) and b.id in self.modules), None)
            cls = base if base is not cls else None
        return None

    def held(self, cls: ast.ClassDef, attr: str) -> _Held:
        """Own module classes and ``torch.nn`` layers that ``self.<attr>`` of ``cls`` may hold."""
        found: dict[str, ast.ClassDef | str] = {}
        for node in ast.walk(cls):
            for value in _values_given_to(node, f"self.{attr}"):
                self._constructed(value, found, set())
        return ([v for v in found.values() if isinstance(v, ast.ClassDef)],
                [v for v in found.values() if isinstance(v, str)])

    def _constructed(self, expr: ast.AST, found: dict[str, ast.ClassDef | str], seen: set[int]) -> None:
        """Own module classes and nn layers ``expr`` constructs, through local names and own helpers' returns."""
        if id(expr) in seen:
            return
        seen.add(id(expr))
        scope = self.scope.get(id(expr))
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                self._called(node, found, seen)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and scope is not None:
                for inner in ast.walk(scope):
                    for value in _values_given_to(inner, node.id):
                        self._constructed(value, found, seen)

    def _called(self, call: ast.Call, found: dict[str, ast.ClassDef | str], seen: set[int]) -> None:
        layer = self.dotted(call.func) or ""
        if _is_layer(layer):
            found[layer] = layer
        if not (isinstance(call.func, ast.Name) or _is_self(call.func)):
            return
        name = call.func.id if isinstance(call.func, ast.Name) else call.func.attr
        if name in self.modules:
            found[name] = self.modules[name]
        helper = self.functions.get(name)
        for ret in (n for n in ast.walk(helper) if isinstance(n, ast.Return)) if helper else []:
            if ret.value is not None:
                self._constructed(ret.value, found, seen)


def _constant_value(test: ast.AST, constants: dict[str, object]) -> object:
    """The truth of a test built from literals, constant names, ``not``, ``and``/``or`` and
    ``==``/``!=``/``is``/``is not``; :data:`_UNKNOWN` for anything else. Nothing is run."""
    if isinstance(test, ast.Constant):
        return test.value
    if isinstance(test, ast.Name):
        return constants.get(test.id, _UNKNOWN)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        value = _constant_value(test.operand, constants)
        return _UNKNOWN if value is _UNKNOWN else not value
    if isinstance(test, ast.BoolOp):
        values = [_constant_value(v, constants) for v in test.values]
        decisive = isinstance(test.op, ast.Or)  # a known True decides an `or`, a known False an `and`
        if any(v is not _UNKNOWN and bool(v) is decisive for v in values):
            return decisive
        return _UNKNOWN if any(v is _UNKNOWN for v in values) else not decisive
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], _CONSTANT_COMPARE):
        left, right = _constant_value(test.left, constants), _constant_value(test.comparators[0], constants)
        if _UNKNOWN in (left, right):
            return _UNKNOWN
        equal = left is right if isinstance(test.ops[0], ast.Is | ast.IsNot) else left == right
        return equal if isinstance(test.ops[0], ast.Eq | ast.Is) else not equal
    return _UNKNOWN


def _module_constants(tree: ast.Module) -> dict[str, object]:
    """Top-level names bound exactly once in the whole source, to a literal."""
    stores = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
    return {
        node.targets[0].id: node.value.value for node in tree.body
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant) and stores.count(node.targets[0].id) == 1
    }


def _own_subclasses(classes: list[ast.ClassDef], dotted: Dotted, roots: frozenset[str]) -> dict[str, ast.ClassDef]:
    """Classes that subclass ``roots``, directly or through another such class of the candidate."""
    found: dict[str, ast.ClassDef] = {}
    for _ in range(len(classes)):
        for cls in classes:
            if any(dotted(base) in roots or (isinstance(base, ast.Name) and base.id in found) for base in cls.bases):
                found[cls.name] = cls
    return found


def _is_layer(name: str) -> bool:
    """``torch.nn.Conv2d`` and the like: a ``torch.nn`` class that computes when called."""
    parts = name.split(".")
    return len(parts) == 3 and name.startswith("torch.nn.") and parts[2][:1].isupper() and name not in _HOLDERS


def _is_apply(node: ast.AST, autograd: dict[str, ast.ClassDef]) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "apply" and isinstance(node.value, ast.Name)
            and node.value.id in autograd)


def _values_given_to(node: ast.AST, target: str) -> list[ast.AST]:
    """Expressions that ``node`` stores into ``target`` (a name or ``self.attr``): assignment,
    ``+=``, and ``target.append(...)``/``extend``/``insert``/``add_module``."""
    if isinstance(node, ast.Assign):
        return [node.value] if any(target in _target_names(t) for t in node.targets) else []
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
        return [node.value] if target in _target_names(node.target) else []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _GROWING_METHODS:
        receiver = ast.unparse(node.func.value)
        if receiver == target:
            return [*node.args, *(k.value for k in node.keywords)]
        if receiver == "self" and node.func.attr in ("add_module", "register_module") and node.args:
            name = node.args[0]
            if isinstance(name, ast.Constant) and f"self.{name.value}" == target:
                return node.args[1:]
    return []


def _target_names(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_target_names(element) for element in target.elts))
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return {ast.unparse(target)} if isinstance(target, ast.Name | ast.Attribute) else set()


def reach(tree: ast.Module, dotted: Dotted, skip: set[str] = frozenset()) -> Reach:
    """What ``ModelNew.forward`` runs; empty when there is no ``ModelNew.forward``.
    ``skip`` names functions not to look into (Triton kernels: those are the kernel)."""
    program = _Program(tree, dotted, set(skip))
    model = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ModelNew"), None)
    forward = program.method(model, "forward") if model is not None else None
    result = Reach()
    if forward is None:
        return result
    result.entries.append(forward)
    result.classes.append(model)
    result.functions.append(forward)
    for function in result.functions:
        for call, callees, layers in _callees(program, function):
            result.calls.append(call)
            result.layer_calls += [(call, layer) for layer in layers]
            for callee, entered in callees:
                if callee in result.functions:
                    continue
                result.functions.append(callee)
                if entered:
                    result.entries.append(callee)
                    owner = program.owner.get(id(callee))
                    if owner is not None and owner not in result.classes:
                        result.classes.append(owner)
    return result


def _callees(program: _Program, function: ast.FunctionDef) -> Iterator[tuple[ast.Call, list[_Callee], list[str]]]:
    """For each live call, once: the candidate's functions it runs (each marked True when entered as
    a module's or an autograd Function's ``forward``) and the ``torch.nn`` layers it runs."""
    cls = program.owner.get(id(function))
    loop_held: dict[str, _Held] = {}
    for node in live_nodes(function, program.constants):
        if isinstance(node, ast.For) and cls is not None:
            held = _merge(program.held(cls, attr) for attr in _self_attrs(node.iter))
            loop_held.update({name: held for name in _target_names(node.target)})
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if _is_apply(func, program.autograd):
            yield node, _forward_of([program.autograd[func.value.id]], program), []
        elif isinstance(func, ast.Name) and func.id in program.apply_names:
            yield node, _forward_of([program.apply_names[func.id]], program), []
        elif isinstance(func, ast.Name) and func.id in loop_held:
            yield node, _forward_of(loop_held[func.id][0], program), loop_held[func.id][1]
        elif isinstance(func, ast.Name) and func.id in program.functions:
            yield node, [(program.functions[func.id], False)], []
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in program.classes:
            method = program.method(program.classes[func.value.id], func.attr)
            yield node, [(method, False)] if method is not None else [], []
        elif cls is not None and _called_attr(func):
            attr = _called_attr(func)
            method = program.method(cls, attr) if _is_self(func) else None
            classes, layers = program.held(cls, attr) if method is None else ([], [])
            yield node, [(method, False)] if method is not None else _forward_of(classes, program), layers
        else:
            yield node, [], []


def _merge(helds: Iterable[_Held]) -> _Held:
    classes: list[ast.ClassDef] = []
    layers: list[str] = []
    for held_classes, held_layers in helds:
        classes += held_classes
        layers += held_layers
    return classes, layers


def _forward_of(classes: list[ast.ClassDef], program: _Program) -> list[_Callee]:
    forwards = (program.method(cls, "forward") for cls in classes)
    return [(forward, True) for forward in forwards if forward is not None]


def _is_self(node: ast.AST) -> bool:
    """``node`` is ``self.X``."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _called_attr(func: ast.AST) -> str | None:
    """X when a call runs what ``self.X`` holds: ``self.X(...)``, ``self.X[i](...)``, ``self.X.forward(...)``."""
    if isinstance(func, ast.Subscript) or (isinstance(func, ast.Attribute) and func.attr in ("forward", "__call__")
                                           and _is_self(func.value)):
        func = func.value
    return func.attr if _is_self(func) else None


def _self_attrs(expr: ast.AST) -> list[str]:
    """The ``self.X`` attributes an expression is, indexes or iterates (``self.X``, ``self.X[i]``,
    ``enumerate(self.X)``, ``self.X.items()``)."""
    return [node.attr for node in ast.walk(expr) if _is_self(node)]
