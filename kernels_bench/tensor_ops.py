"""Which expressions in ``ModelNew.forward`` hold tensors, and which of them compute with PyTorch.

A parser cannot know types, so this follows tensors through the code that ``forward``
reaches: ``forward``'s arguments (all but ``self``) are tensors; so are the weights and
buffers ``__init__`` creates (``nn.Parameter``, ``torch.*`` allocation, ``register_buffer``),
whatever a kernel launch, an allocation or a view returns, and every name, attribute, item,
loop variable or helper parameter that receives a tensor. Shape queries (``x.shape``,
``x.size(0)``, ``x.numel()``) give plain numbers, so grid arithmetic stays free.

On a tensor, outside the custom kernel, only what moves, views, allocates or describes
data is allowed (:data:`DATA_METHODS`, indexing, item assignment). Everything else is
PyTorch compute and reported: arithmetic and comparison operators (``y * 2 + 1``,
``x > 0``, ``-x``), any other method (``y.clamp_min(0)``, ``x.__mul__(2)``) and the
builtins that reduce or transform (``abs``, ``sum``, ``max``, ``pow``...). Triton-jitted
functions are not looked into: that is the kernel.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from polca.kernels_bench.reach import Reach

# Methods that only move, view, allocate or describe data.
DATA_METHODS = frozenset(
    """view view_as reshape reshape_as flatten unflatten squeeze unsqueeze permute transpose t expand expand_as
    contiguous clone detach to cuda cpu float double half bfloat16 int long short bool byte char type
    size dim ndimension numel nelement stride element_size is_contiguous is_floating_point is_complex get_device
    data_ptr item tolist new_empty new_zeros new_ones new_full new_tensor zero_ fill_ copy_ split chunk unbind
    narrow select movedim swapaxes as_strided requires_grad_ pin_memory""".split()
)
# Of those, the ones whose result is a plain Python value, not a tensor.
_DESCRIBING = frozenset(
    "size dim ndimension numel nelement stride element_size is_contiguous is_floating_point is_complex get_device "
    "data_ptr item tolist".split()
)
_DESCRIBING_ATTRS = frozenset("shape dtype device ndim is_cuda layout requires_grad names itemsize nbytes".split())
_COMPUTING_BUILTINS = frozenset(["abs", "sum", "max", "min", "pow", "round", "divmod"])
_PLAIN_BUILTINS = frozenset(["len", "int", "float", "bool", "str", "range", "isinstance", "type", "print", "repr",
                             "hasattr", "callable", "super", "tuple"])
# Python list methods: a tensor has none of them, so on a list that holds tensors they are not compute.
_LIST_METHODS = frozenset(["append", "extend", "insert"])
_COMPUTING_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_MAX_PASSES = 12


class _Flow:
    """Tensor-holding names per function, and tensor-holding ``self`` attributes, to a fixed point."""

    def __init__(self, functions: dict[str, ast.FunctionDef], reachable: list[ast.AST],
                 dotted: Callable[[ast.AST], str | None], launches: Callable[[ast.Call], bool],
                 handles: set[str]) -> None:
        self.functions = functions
        self.handles = handles
        self.reachable = reachable
        self.dotted = dotted
        self.launches = launches
        self.names: dict[int, set[str]] = {id(f): set() for f in reachable}
        self.attrs: set[str] = set()

    def is_tensor(self, node: ast.AST | None, scope: set[str]) -> bool:
        if node is None or isinstance(node, ast.Constant):
            return False
        if isinstance(node, ast.Name | ast.Attribute) and ast.unparse(node) in self.handles:
            return False  # an extension module or a kernel object, not a tensor
        if isinstance(node, ast.Name):
            return node.id in scope
        if isinstance(node, ast.Attribute):
            if node.attr in _DESCRIBING_ATTRS:
                return False
            return ast.unparse(node) in self.attrs or self.is_tensor(node.value, scope)
        if isinstance(node, ast.Subscript):
            return self.is_tensor(node.value, scope)
        if isinstance(node, ast.Call):
            return self._call_is_tensor(node, scope)
        if isinstance(node, ast.Lambda):
            return False
        return any(self.is_tensor(child, scope) for child in ast.iter_child_nodes(node)
                   if isinstance(child, ast.expr))

    def _call_is_tensor(self, node: ast.Call, scope: set[str]) -> bool:
        func = node.func
        if isinstance(func, ast.Attribute) and self.is_tensor(func.value, scope):
            return func.attr not in _DESCRIBING
        name = self.dotted(func)
        if (name or "").startswith("torch.") or self.launches(node):
            return True
        if isinstance(func, ast.Name) and func.id in _PLAIN_BUILTINS:
            return False
        return any(self.is_tensor(arg, scope) for arg in [*node.args, *(k.value for k in node.keywords)])

    def solve(self) -> None:
        for _ in range(_MAX_PASSES):
            before = (sum(map(len, self.names.values())), len(self.attrs))
            for function in self.reachable:
                self._propagate(function)
            if (sum(map(len, self.names.values())), len(self.attrs)) == before:
                return

    def _propagate(self, function: ast.AST) -> None:
        scope = self.names[id(function)]
        for node in ast.walk(function):
            for target, value in _bindings(node):
                if self.is_tensor(value, scope):
                    self._bind(target, scope)
            if isinstance(node, ast.Lambda):
                scope.update(arg.arg for arg in node.args.args)
            if isinstance(node, ast.Call):
                self._into_callee(node, scope)

    def _bind(self, target: ast.AST, scope: set[str]) -> None:
        if isinstance(target, ast.Name):
            scope.add(target.id)
        elif isinstance(target, ast.Tuple | ast.List | ast.Starred):
            for element in ast.iter_child_nodes(target):
                self._bind(element, scope)
        elif isinstance(target, ast.Attribute):
            self.attrs.add(ast.unparse(target))

    def _into_callee(self, call: ast.Call, scope: set[str]) -> None:
        """A tensor passed to one of the candidate's own functions taints that parameter."""
        func = call.func
        is_method = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"
        name = func.attr if is_method else func.id if isinstance(func, ast.Name) else None
        callee = self.functions.get(name or "")
        if callee is None or id(callee) not in self.names:
            return
        params = [arg.arg for arg in callee.args.args][1 if is_method else 0:]
        target = self.names[id(callee)]
        for position, arg in enumerate(call.args):
            if self.is_tensor(arg, scope):
                target.update(params[position:] if isinstance(arg, ast.Starred) else params[position:position + 1])
        for keyword in call.keywords:
            if keyword.arg and self.is_tensor(keyword.value, scope):
                target.add(keyword.arg)
        if callee.args.vararg and any(self.is_tensor(arg, scope) for arg in call.args[len(params):]):
            target.add(callee.args.vararg.arg)


def _bindings(node: ast.AST) -> Iterable[tuple[ast.AST, ast.AST]]:
    """(target, value) pairs that a statement or expression binds."""
    if isinstance(node, ast.Assign):
        return [(target, node.value) for target in node.targets]
    if isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and node.value is not None:
        return [(node.target, node.value)]
    if isinstance(node, ast.For | ast.comprehension):
        return [(node.target, node.iter)]
    if isinstance(node, ast.With):
        return [(item.optional_vars, item.context_expr) for item in node.items if item.optional_vars is not None]
    return []


def tensor_operations(tree: ast.Module, reached: Reach, dotted: Callable[[ast.AST], str | None],
                      launches: Callable[[ast.Call], bool], handles: set[str], jitted: set[str],
                      exported: set[str]) -> list[str]:
    """Errors for PyTorch compute on tensors in ``ModelNew.forward`` and what it reaches.

    ``reached`` is what forward runs (:func:`.reach.reach`, Triton kernels left out): the
    arguments of each ``forward`` it enters (ModelNew's, an own submodule's, an autograd
    Function's, less ``self``/``ctx``) are tensors, and so are the weights each reached class
    creates. ``dotted`` resolves an expression to the module path it names, ``launches`` says whether
    a call launches the custom kernel, ``handles`` are the expressions bound to extension
    modules and kernel objects, ``jitted`` names the Triton kernels (not looked into) and
    ``exported`` the extension's function names.
    """
    functions = {node.name: node for node in ast.walk(tree)
                 if isinstance(node, ast.FunctionDef) and node.name not in jitted}
    reachable = [function for function in reached.functions if function.name not in jitted]
    flow = _Flow(functions, reachable, dotted, launches, handles)
    for entry in reached.entries:
        flow.names[id(entry)].update(_tensor_parameters(entry))
    for cls in reached.classes:
        flow.attrs.update(_init_tensors(cls, dotted))
    flow.solve()
    errors: list[str] = []
    for function in reachable:
        errors += _compute_in(function, flow, exported)
    return list(dict.fromkeys(errors))


def _tensor_parameters(forward: ast.FunctionDef) -> list[str]:
    """``forward``'s parameters but ``self``, less those a scalar annotation or default marks as numbers."""
    args = forward.args.args[1:]
    defaults = dict(zip([a.arg for a in args][len(args) - len(forward.args.defaults):], forward.args.defaults,
                        strict=True))
    scalar = {"int", "float", "bool", "str"}
    return [arg.arg for arg in args
            if not (isinstance(arg.annotation, ast.Name) and arg.annotation.id in scalar)
            and not (isinstance(defaults.get(arg.arg), ast.Constant) and defaults[arg.arg].value is not None)]


def _init_tensors(model: ast.ClassDef, dotted: Callable[[ast.AST], str | None]) -> set[str]:
    """``self.X`` attributes that a class's methods bind to tensors they create."""
    attrs: set[str] = set()
    for node in ast.walk(model):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            name = dotted(node.value.func) or ""
            # nn.Parameter is a tensor; nn.ModuleDict, nn.Sequential and layers are modules
            if name.startswith("torch.") and (name == "torch.nn.Parameter" or not name.startswith("torch.nn.")):
                attrs.update(ast.unparse(t) for t in node.targets if isinstance(t, ast.Attribute))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register_buffer"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            attrs.add(f"self.{node.args[0].value}")
    return attrs


def _compute_in(function: ast.AST, flow: _Flow, exported: set[str]) -> list[str]:
    scope = flow.names[id(function)]
    tensor = lambda node: flow.is_tensor(node, scope)  # noqa: E731
    errors = []
    for node in ast.walk(function):
        line = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.MatMult) and (tensor(node.left) or tensor(node.right)):
            errors.append(f"{line}: applies the operator {_symbol(node.op)} to a tensor, which PyTorch computes; "
                          "compute it in your kernel")
        elif isinstance(node, ast.AugAssign) and not isinstance(node.op, ast.MatMult) and (
                tensor(node.target) or tensor(node.value)):
            errors.append(f"{line}: applies {_symbol(node.op)}= to a tensor, which PyTorch computes; "
                          "compute it in your kernel")
        elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not) and tensor(node.operand):
            errors.append(f"{line}: applies the operator {_symbol(node.op)} to a tensor, which PyTorch computes; "
                          "compute it in your kernel")
        elif isinstance(node, ast.Compare) and any(isinstance(op, _COMPUTING_COMPARE) for op in node.ops) and (
                tensor(node.left) or any(tensor(c) for c in node.comparators)):
            errors.append(f"{line}: compares a tensor ({ast.unparse(node)[:60]}), which PyTorch computes; "
                          "compute it in your kernel")
        elif isinstance(node, ast.Call):
            errors += _call_compute(node, line, tensor, exported)
    return errors


def _call_compute(node: ast.Call, line: str, tensor: Callable[[ast.AST], bool], exported: set[str]) -> list[str]:
    func = node.func
    if isinstance(func, ast.Attribute) and tensor(func.value) and func.attr not in DATA_METHODS | exported | _LIST_METHODS:
        return [f"{line}: calls .{func.attr}() on a tensor, a PyTorch operation; outside the kernel only data "
                "movement and views (indexing, view, reshape, contiguous, to, empty_like...) are allowed"]
    if isinstance(func, ast.Name) and func.id in _COMPUTING_BUILTINS and any(tensor(arg) for arg in node.args):
        return [f"{line}: calls {func.id}() on a tensor, which PyTorch computes; compute it in your kernel"]
    return []


def _symbol(op: ast.AST) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
            ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.USub: "-",
            ast.UAdd: "+", ast.Invert: "~"}.get(type(op), type(op).__name__)
