"""Static guards: read a candidate ``ModelNew`` source and reject known cheats before it runs.

Every check is a pure function ``check_x(source, problem) -> (ok, errors, warnings)`` over the
syntax tree (string constants holding C++/CUDA are scanned with patterns as well). An error
means the candidate scores 0 without running; a warning is passed on to the proposer.
:func:`run_guards` applies every registered check and merges what they say.

Names are resolved through imports and simple aliases, so ``import torch.nn.functional as
F; g = getattr(F, "relu")`` and ``from torch import relu as r`` both resolve to the PyTorch
function they name. What cannot be resolved statically (a ``getattr`` on a module with a
computed name, ``__dict__`` lookups, ``sys.modules``) is itself an error. The guards are the
first line of defence, not the only one: the runtime checks in
:mod:`polca.kernels_bench.correctness` and the timing design catch what a parser cannot.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from polca.kernels_bench.problems import Problem
from polca.kernels_bench.reach import reach
from polca.kernels_bench.rules import DEFAULT_RULES, get_rules
from polca.kernels_bench.tensor_ops import tensor_operations
from polca.parsing import parse_python

CheckResult = tuple[bool, list[str], list[str]]

# PyTorch names a candidate may use anywhere: types, dtypes, allocation, device queries,
# the extension loaders and nn containers. Everything else under ``torch.`` is compute.
_DTYPES = (
    "float32 float float16 half bfloat16 float64 double int8 int16 int32 int64 int long uint8 bool "
    "complex64 complex128"
).split()
_ALLOCATION = (
    "empty empty_like empty_strided zeros zeros_like ones ones_like full full_like tensor as_tensor arange "
    "rand rand_like randn randn_like randint"  # random weights in __init__; they cannot compute an answer
).split()
DEFAULT_ALLOWED_TORCH = frozenset(
    [f"torch.{name}" for name in (*_DTYPES, *_ALLOCATION)]
    + [
        "torch.Tensor", "torch.Size", "torch.device", "torch.dtype", "torch.Generator",
        "torch.manual_seed", "torch.no_grad", "torch.inference_mode", "torch.is_tensor",
        "torch.get_default_dtype", "torch.__version__", "torch.version.cuda",
        "torch.cuda.is_available", "torch.cuda.current_device", "torch.cuda.device_count",
        "torch.cuda.get_device_properties", "torch.cuda.get_device_capability", "torch.cuda.device",
        "torch.cuda.current_stream", "torch.cuda.synchronize",
        "torch.utils.cpp_extension.load_inline", "torch.utils.cpp_extension.load",
        "torch.utils.cpp_extension.CUDA_HOME", "torch.utils.cpp_extension.include_paths",
        "torch.nn.Module", "torch.nn.Parameter", "torch.nn.ParameterList", "torch.nn.ModuleList",
        "torch.nn.ParameterDict", "torch.nn.ModuleDict", "torch.autograd.Function",
    ]
)
_ALLOWED_TORCH_PREFIXES = ("torch.nn.init.",)
# Module namespaces: naming one is not compute; naming something inside it is checked.
_TORCH_NAMESPACES = frozenset(
    ["torch", "torch.nn", "torch.nn.functional", "torch.cuda", "torch.utils", "torch.utils.cpp_extension",
     "torch.nn.init", "torch.version"]
)
_NN_CONTAINERS = frozenset(["torch.nn.Module", "torch.nn.Parameter", "torch.nn.ParameterList",
                            "torch.nn.ModuleList", "torch.nn.ParameterDict", "torch.nn.ModuleDict"])
# Base classes that are not tensors: a module, or a custom autograd op (its forward is followed
# like a module's, and a __torch_function__ on it is still caught).
_NON_TENSOR_BASES = _NN_CONTAINERS | {"torch.autograd.Function"}

_ALLOWED_IMPORT_ROOTS = frozenset(["torch", "triton", "cupy", "math", "typing", "os", "__future__", "dataclasses"])
_CONCURRENCY_MODULES = frozenset(["threading", "_thread", "multiprocessing", "concurrent", "asyncio", "subprocess",
                                  "signal", "sched", "queue"])
_CONCURRENCY_REASON = "threads, processes and asyncio can defer work past the timer, so they are not allowed"
_OS_ALLOWED_PREFIXES = ("os.environ", "os.path", "os.getenv", "os.cpu_count")
_BANNED_BUILTINS = {
    "exec": "runs generated code", "eval": "runs generated code", "compile": "builds code at run time",
    "__import__": "imports modules the guards cannot see", "globals": "reaches the evaluator's namespace",
    "locals": "reaches the evaluator's namespace", "vars": "reaches module namespaces",
    "open": "reads or writes files (cached outputs, the reference)", "breakpoint": "stops the evaluator",
    "input": "reads the evaluator's stdin", "id": "keys caches on object identity",
}
_BANNED_DUNDERS = frozenset(["__dict__", "__class__", "__subclasses__", "__globals__", "__builtins__", "__bases__",
                             "__mro__", "__code__", "__closure__", "__getattribute__", "__loader__", "__spec__"])
_SUBCLASS_HOOKS = frozenset(["_make_subclass", "as_subclass", "__torch_function__", "__torch_dispatch__",
                             "_make_wrapper_subclass"])
_POINTER_ATTRS = frozenset(["data_ptr", "storage", "untyped_storage", "_typed_storage", "_storage", "_cdata",
                            "set_", "_version", "storage_offset"])
TENSOR_COMPUTE_METHODS = frozenset(
    """matmul mm bmm addmm addmv addbmm baddbmm mv dot einsum conv1d conv2d conv3d linear relu relu_ sigmoid
    sigmoid_ tanh tanh_ gelu silu softmax log_softmax exp exp_ log log_ sum mean var std norm max min amax amin
    argmax argmin cumsum cumprod prod sqrt rsqrt pow abs clamp clamp_ clip topk sort logsumexp addcmul addcdiv
    lerp masked_fill scatter scatter_add gather index_select mul mul_ add add_ sub sub_ div div_ neg reciprocal
    sin cos erf square maximum minimum layer_norm batch_norm dropout""".split()
)
_DOWNCAST_METHODS = frozenset(["half", "bfloat16"])
_DOWNCAST_DTYPES = frozenset(["torch.float16", "torch.half", "torch.bfloat16"])
_TIMING_NAMES = ("synchronize", "Event", "perf_counter", "time", "monotonic", "elapsed_time", "record")

_CPP_CALL = re.compile(r"\b(?:at|torch)::(\w+)\s*\(")
# Namespaced entry points into ATen's compute (``at::_ops::relu::call(x)``,
# ``at::native::relu(x)``, ``at::cpu::add(a, b)``, ``torch::nn::functional::relu(x)``).
_CPP_QUALIFIED_CALL = re.compile(r"\b(at|torch|c10)::((?:\w+::)+)(\w+)\s*\(")
_ATEN_OP_NAMESPACES = frozenset(["_ops", "native", "nn", "functional", "linalg", "fft", "special"])
_DEVICE_NAMESPACES = frozenset(["cpu", "cuda", "meta"])
_DEVICE_UTILITIES = frozenset(["getCurrentCUDAStream", "getDefaultCUDAStream", "getCurrentDeviceProperties",
                               "getDeviceProperties", "device_count", "current_device", "set_device",
                               "getCurrentCUDABlasHandle"])
_CPP_ALLOWED = frozenset(["empty", "empty_like", "empty_strided", "zeros", "zeros_like", "ones", "ones_like", "full",
                          "full_like", "from_blob", "TensorOptions", "tensor", "Tensor", "Device", "device", "dtype",
                          "scalarTypeToTypeMeta", "Scalar"])
_CPP_METHOD = re.compile(r"\.\s*(" + "|".join(sorted(TENSOR_COMPUTE_METHODS, key=len, reverse=True)) + r")\s*\(")
_CPP_STREAM = re.compile(r"\bcudaStreamCreate\w*|\bcudaStreamBeginCapture\b")
_CPP_THREAD = re.compile(r"\bstd::thread\b|\bpthread_create\b|\bstd::async\b")
# Persisting-L2 windows (cudaStreamSetAttribute + cudaAccessPolicyWindow, hitRatio/hitProp), the
# persisting-L2 set-aside (cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize)), PTX eviction
# policies, managed-memory prefetch and advice: each can keep data cached across timed trials.
_CACHE_POLICY = re.compile(
    r"\b(?:cu|cuda)StreamSetAttribute\b|\bstreamSetAttribute\b|\w*AccessPolicyWindow\w*|\baccessPolicyWindow\b"
    r"|\baccess_policy_window\b|\bhitRatio\b|\bhitProp\b|\bmissProp\b|\bcudaAccessProperty\w+"
    r"|\w*PersistingL2\w*|\w*PERSISTING_L2\w*|\bcreatepolicy\b|L2::evict_last|\b(?:cu|cuda)MemAdvise\w*"
    r"|\b(?:cu|cuda)MemPrefetchAsync\w*")
_LOADERS = frozenset(["torch.utils.cpp_extension.load_inline", "torch.utils.cpp_extension.load"])
_CUPY_KERNELS = frozenset(["cupy.RawKernel", "cupy.RawModule", "cupy.ElementwiseKernel", "cupy.ReductionKernel"])


@dataclass(frozen=True)
class GuardReport:
    """What the guards found: ``ok`` is False when there is at least one error."""

    ok: bool
    errors: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass
class _Analysis:
    """A parsed candidate with its resolved names; built once per source and only read after."""

    tree: ast.Module
    aliases: dict[str, str]
    parents: dict[int, ast.AST]
    source: str = ""

    def dotted(self, node: ast.AST) -> str | None:
        """The dotted module path an expression names (``F.relu`` -> ``torch.nn.functional.relu``)."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if _is_const_getattr(node):
            base = self.dotted(node.args[0])
            return f"{base}.{node.args[1].value}" if base else None
        return None

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))


def _is_const_getattr(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
        and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
    )


@functools.lru_cache(maxsize=64)
def _analyze(source: str) -> _Analysis:
    tree = parse_python(source)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    analysis = _Analysis(tree=tree, aliases={}, parents=parents, source=source)
    for _ in range(3):  # aliases of aliases settle in a few passes
        for node in ast.walk(tree):
            _bind_aliases(node, analysis)
    return analysis


def _bind_aliases(node: ast.AST, analysis: _Analysis) -> None:
    aliases = analysis.aliases
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                aliases[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                aliases[root] = root
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and node.value is not None:
        target_list = node.targets if isinstance(node, ast.Assign) else [node.target]
        resolved = analysis.dotted(node.value)
        for target in target_list:
            if resolved and isinstance(target, ast.Name):
                aliases[target.id] = resolved


def _line(node: ast.AST) -> str:
    return f"line {getattr(node, 'lineno', '?')}"


def _checked(check: Callable[[_Analysis, Problem | None], tuple[list[str], list[str]]]):
    """Turn an analysis-level check into the public ``(source, problem) -> (ok, errors, warnings)``."""

    @functools.wraps(check)
    def public(source: str, problem: Problem | None = None) -> CheckResult:
        try:
            analysis = _analyze(source)
        except SyntaxError as exc:
            return False, [f"the candidate is not valid Python: {exc.msg} (line {exc.lineno})"], []
        errors, warnings = check(analysis, problem)
        return not errors, errors, warnings

    return public


def _allowed_torch(problem: Problem | None) -> frozenset[str]:
    return DEFAULT_ALLOWED_TORCH | (problem.allowed_torch_calls if problem else frozenset())


def _is_nn_layer(name: str) -> bool:
    parts = name.split(".")
    return len(parts) == 3 and name.startswith("torch.nn.") and parts[2][:1].isupper() and name not in _NN_CONTAINERS


def _torch_name_allowed(name: str, allowed: frozenset[str]) -> bool:
    return (
        name in allowed or name in _TORCH_NAMESPACES or _is_nn_layer(name)
        or name.startswith(_ALLOWED_TORCH_PREFIXES)
    )


def _outermost_references(analysis: _Analysis):
    """Every Name/Attribute/const-getattr expression that is not the inside of a longer one."""
    for node in ast.walk(analysis.tree):
        if not isinstance(node, ast.Name | ast.Attribute) and not _is_const_getattr(node):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            continue
        parent = analysis.parent(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            continue
        if _is_const_getattr(parent) and parent.args[0] is node:
            continue
        name = analysis.dotted(node)
        if name:
            yield node, name


@_checked
def check_torch_compute(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No PyTorch compute (``torch.*``, ``torch.nn.functional.*``, ``torch.ops``, calling an ``nn``
    layer, compute-like tensor methods, ``@``) unless the problem's allow-list names it; and in
    what ``forward`` runs, no operator or non-data method on a tensor (:mod:`.tensor_ops`)."""
    allowed = _allowed_torch(problem)
    errors: list[str] = []
    for node, name in _outermost_references(analysis):
        if name.startswith("torch.") and not _torch_name_allowed(name, allowed):
            errors.append(
                f"{_line(node)}: uses {name}, which is not on the PyTorch allow-list (types, dtypes, allocation, "
                "device queries, extension loaders); compute the result in your custom kernel instead"
            )
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("torch"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if alias.name == "*" or not _torch_name_allowed(full, allowed):
                    errors.append(f"{_line(node)}: imports {full} from PyTorch; compute the result in your custom kernel instead")
        elif isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.MatMult):
            errors.append(f"{_line(node)}: uses the @ operator, which runs PyTorch's matmul; write the product in your kernel")
    errors += _layer_calls(analysis) + _tensor_method_calls(analysis) + _tensor_operations(analysis)
    return errors, _downcast_warnings(analysis)


def _tensor_operations(analysis: _Analysis) -> list[str]:
    """Operators and non-data methods applied to tensors in what ``forward`` runs (:mod:`.tensor_ops`)."""
    handles, jitted = _kernel_handles(analysis)
    reached = reach(analysis.tree, analysis.dotted, jitted)
    return tensor_operations(analysis.tree, reached, analysis.dotted, functools.partial(_launches_kernel, analysis),
                             handles, jitted, _kernel_function_names(analysis))


def _layer_instances(analysis: _Analysis) -> set[str]:
    """Expressions (``self.conv``) bound to a constructed ``torch.nn`` layer such as ``nn.Conv2d(...)``."""
    instances: set[str] = set()
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            name = analysis.dotted(node.value.func)
            if name and _is_nn_layer(name):
                instances.update(ast.unparse(target) for target in node.targets)
    for node in ast.walk(analysis.tree):  # conv = self.conv
        if isinstance(node, ast.Assign) and ast.unparse(node.value) in instances:
            instances.update(ast.unparse(target) for target in node.targets)
    return instances


def _layer_calls(analysis: _Analysis) -> list[str]:
    instances = _layer_instances(analysis)
    errors = []
    for node in ast.walk(analysis.tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        callee = ast.unparse(func)
        inner = analysis.dotted(func.func) if isinstance(func, ast.Call) else None
        method_on_layer = isinstance(func, ast.Attribute) and ast.unparse(func.value) in instances and (
            func.attr in ("forward", "__call__") or func.attr.startswith("_"))
        if callee in instances or method_on_layer or (inner and _is_nn_layer(inner)):
            errors.append(_layer_call_error(node))
    # layers held in a ModuleList, a ModuleDict or an own submodule, run through an index or a loop
    errors += [_layer_call_error(call) for call, _ in reach(analysis.tree, analysis.dotted).layer_calls]
    return list(dict.fromkeys(errors))


def _layer_call_error(call: ast.Call) -> str:
    return (f"{_line(call)}: calls the PyTorch layer {ast.unparse(call.func)}; keep nn layers only to hold weights "
            "and compute in your kernel")


def _kernel_function_names(analysis: _Analysis) -> set[str]:
    """Names a custom kernel exports: ``functions=[...]`` of load_inline and ``m.def("name"``."""
    names: set[str] = set()
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Call) and analysis.dotted(node.func) in _LOADERS:
            for keyword in node.keywords:
                if keyword.arg == "functions":
                    names.update(_string_constants(keyword.value))
    for text in _all_strings(analysis):
        names.update(re.findall(r"\.def\(\s*\"(\w+)\"", text))
    return names


def _tensor_method_calls(analysis: _Analysis) -> list[str]:
    exported = _kernel_function_names(analysis)
    errors = []
    for node in ast.walk(analysis.tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in TENSOR_COMPUTE_METHODS and node.func.attr not in exported
                and analysis.dotted(node.func) is None):
            errors.append(f"{_line(node)}: calls .{node.func.attr}(), a PyTorch tensor operation; compute it in your kernel")
    return errors


def _downcast_warnings(analysis: _Analysis) -> list[str]:
    warnings = []
    for node in ast.walk(analysis.tree):
        downcast_method = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _DOWNCAST_METHODS
        if downcast_method or (isinstance(node, ast.Attribute) and analysis.dotted(node) in _DOWNCAST_DTYPES):
            warnings.append(f"{_line(node)}: lowers precision to 16 bits; outputs are compared at the problem's own dtype tolerance")
    return warnings


def _string_constants(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _all_strings(analysis: _Analysis) -> list[str]:
    return _string_constants(analysis.tree)


@_checked
def check_imports(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """Only torch, triton, cupy and a few harmless standard modules may be imported; ``sys``,
    ``importlib``, ``time`` and the rest are errors. Threads, processes and asyncio are the
    concurrency check's (:func:`check_concurrency`), which every rule set counts as an error."""
    errors = []
    for node, module in _imported_modules(analysis):
        root = module.split(".")[0]
        if root not in _ALLOWED_IMPORT_ROOTS and not _is_concurrency_module(module):
            errors.append(f"{_line(node)}: imports {module}; a candidate may import only {', '.join(sorted(_ALLOWED_IMPORT_ROOTS))}")
    return errors, []


def _imported_modules(analysis: _Analysis):
    """Every module an ``import`` or ``from ... import`` statement names, with its statement."""
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node, (node.module or "") if not node.level else "(relative import)"


def _is_concurrency_module(name: str) -> bool:
    """True for a dotted name inside a module that starts threads, processes or event loops."""
    return name.split(".")[0] in _CONCURRENCY_MODULES or name.startswith("torch.multiprocessing")


def _dynamic_import_target(node: ast.AST, analysis: _Analysis) -> str | None:
    """The module a literal ``__import__("m")`` or ``importlib.import_module("m")`` names."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    dynamic = (isinstance(node.func, ast.Name) and node.func.id == "__import__") or (
        analysis.dotted(node.func) == "importlib.import_module")
    first = node.args[0]
    return first.value if dynamic and isinstance(first, ast.Constant) and isinstance(first.value, str) else None


@_checked
def check_concurrency(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No threads, processes or asyncio, in Python or in kernel source: no import of, dynamic
    import of or reference into ``threading``, ``multiprocessing``, ``concurrent.futures``,
    ``asyncio``, ``subprocess`` and the rest of :data:`_CONCURRENCY_MODULES` (or
    ``torch.multiprocessing``), no ``os`` beyond environment and paths (``os.fork``,
    ``os.system``), no async code, no host threads in kernel source."""
    errors = []
    for node, module in _imported_modules(analysis):
        if _is_concurrency_module(module):
            errors.append(f"{_line(node)}: imports {module}; {_CONCURRENCY_REASON}")
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.AsyncFunctionDef | ast.Await | ast.AsyncFor | ast.AsyncWith):
            errors.append(f"{_line(node)}: uses async code; work must finish inside forward()")
        target = _dynamic_import_target(node, analysis)
        if target and _is_concurrency_module(target):
            errors.append(f"{_line(node)}: imports {target} at run time; {_CONCURRENCY_REASON}")
    for node, name in _outermost_references(analysis):
        if _is_concurrency_module(name):
            errors.append(f"{_line(node)}: uses {name}; {_CONCURRENCY_REASON}")
        elif name.startswith("os.") and not name.startswith(_OS_ALLOWED_PREFIXES):
            errors.append(f"{_line(node)}: uses {name}; only os.environ, os.path and os.getenv are allowed")
    for text in _all_strings(analysis):
        if _CPP_THREAD.search(text):
            errors.append("kernel source starts host threads; work must finish inside forward()")
    return errors, []


@_checked
def check_side_streams(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No side streams or stream capture, in Python or in kernel source."""
    errors = []
    for node, name in _outermost_references(analysis):
        if name.startswith(("torch.cuda.Stream", "torch.cuda.stream", "torch.cuda.ExternalStream")):
            errors.append(f"{_line(node)}: uses {name}; side streams can hide work from the timer")
    for text in _all_strings(analysis):
        if _CPP_STREAM.search(text):
            errors.append("kernel source creates a CUDA stream; launch on the current stream so the timer sees the work")
    return errors, []


@_checked
def check_cache_policy(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No persisting-L2 access-policy windows, L2 persistence limits, eviction policies or
    managed-memory prefetch and advice, in Python or in kernel source."""
    found = sorted({match.group(0) for match in _CACHE_POLICY.finditer(analysis.source)})
    if not found:
        return [], []
    return [f"sets a cache policy ({', '.join(found)}): data kept in L2 or prefetched across timed trials defeats "
            "the cache flush between them; leave caching to the hardware"], []


@_checked
def check_timing_patches(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No assignment to, ``setattr`` on or ``del`` of anything inside an imported module
    (``torch.cuda.synchronize = ...``, ``time.perf_counter = ...``, ``torch.cuda.Event`` patching)."""
    errors = []
    for node in ast.walk(analysis.tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") and node.args:
            targets = [ast.Attribute(value=node.args[0], attr="<dynamic>", lineno=node.lineno)]
        for target in targets:
            base = target.value if isinstance(target, ast.Attribute | ast.Subscript) else None
            name = analysis.dotted(target) if isinstance(target, ast.Attribute) else None
            owner = analysis.dotted(base) if base is not None else None
            if (name or owner) and not (owner or "").startswith("os.environ"):
                what = name or f"an item of {owner}"
                errors.append(f"{_line(node)}: assigns to {what}; patching library functions (timers, synchronize, events) is not allowed")
    return errors, []


@_checked
def check_tensor_subclass(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No ``torch.Tensor`` subclasses, ``_make_subclass``, ``as_subclass`` or ``__torch_function__``."""
    errors = []
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = analysis.dotted(base) or ""
                if name.startswith("torch.") and name not in _NON_TENSOR_BASES:
                    errors.append(f"{_line(node)}: class {node.name} subclasses {name}; outputs must be plain tensors computed in forward()")
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "name", None)
        if name in _SUBCLASS_HOOKS:
            errors.append(f"{_line(node)}: uses {name}; tensor subclasses can defer or fake the computation")
    return errors, []


@_checked
def check_pointer_caching(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No ``data_ptr``/storage access except a pointer passed straight into a kernel launch."""
    errors = []
    for node in ast.walk(analysis.tree):
        if not (isinstance(node, ast.Attribute) and node.attr in _POINTER_ATTRS):
            continue
        call = analysis.parent(node)
        holder = analysis.parent(call) if isinstance(call, ast.Call) and call.func is node else None
        while isinstance(holder, ast.Tuple | ast.List):
            holder = analysis.parent(holder)
        if node.attr == "data_ptr" and _is_kernel_launch(analysis, holder):
            continue
        errors.append(f"{_line(node)}: uses .{node.attr}; caching or comparing storage and pointers lets a candidate return stale results")
    return errors, []


def _is_kernel_launch(analysis: _Analysis, node: ast.AST | None) -> bool:
    """True for ``kernel[grid](...)`` and calls of a CuPy kernel or an extension function."""
    if not isinstance(node, ast.Call):
        return False
    handles, jitted = _kernel_handles(analysis)
    func = node.func
    if isinstance(func, ast.Subscript):
        return ast.unparse(func.value) in jitted
    return ast.unparse(func) in handles or (
        isinstance(func, ast.Attribute) and ast.unparse(func.value) in handles)


def _launches_kernel(analysis: _Analysis, call: ast.Call) -> bool:
    """A kernel launch, or a call of a function the extension exports (``self.ext.f(x)``)."""
    return _is_kernel_launch(analysis, call) or (
        isinstance(call.func, ast.Attribute) and call.func.attr in _kernel_function_names(analysis))


@_checked
def check_dynamic_code(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No exec/eval/compile/``__import__``/globals/open, no computed ``getattr`` on a module and
    no introspection dunders (``__dict__``, ``__subclasses__``...)."""
    errors, warnings = [], []
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _BANNED_BUILTINS:
            errors.append(f"{_line(node)}: calls {node.func.id}(), which {_BANNED_BUILTINS[node.func.id]}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" and not _is_const_getattr(node):
            target = analysis.dotted(node.args[0]) if node.args else None
            message = f"{_line(node)}: getattr with a computed name"
            (errors if target else warnings).append(
                f"{message} on {target} cannot be checked; name the attribute directly" if target else f"{message}; name the attribute directly")
        elif isinstance(node, ast.Attribute) and node.attr in _BANNED_DUNDERS:
            errors.append(f"{_line(node)}: uses {node.attr}, which reaches around the guards")
        elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__loader__", "__spec__"):
            errors.append(f"{_line(node)}: uses {node.id}, which reaches around the guards")
    return errors, warnings


@_checked
def check_reference_use(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """The candidate must neither define, subclass, nor call the reference ``Model``."""
    errors = []
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.ClassDef):
            if node.name == "Model":
                errors.append(f"{_line(node)}: defines a class named Model; the candidate class must be ModelNew and stand alone")
            for base in node.bases:
                if ast.unparse(base).split(".")[-1] == "Model":
                    errors.append(f"{_line(node)}: class {node.name} inherits the reference Model; write ModelNew from nn.Module")
        elif isinstance(node, ast.Name) and node.id == "Model" and isinstance(node.ctx, ast.Load):
            if not isinstance(analysis.parent(node), ast.ClassDef):
                errors.append(f"{_line(node)}: refers to the reference Model; ModelNew must not run it")
    if not any(isinstance(node, ast.ClassDef) and node.name == "ModelNew" for node in analysis.tree.body):
        errors.append("the candidate defines no top-level class ModelNew")
    return errors, []


@_checked
def check_try_fallback(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """No ``try``/``except`` whose handler does anything but re-raise: a failing kernel must fail,
    not fall back to PyTorch."""
    errors = []
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                if not all(isinstance(stmt, ast.Raise) for stmt in handler.body):
                    errors.append(f"{_line(handler)}: an except handler that does not re-raise can hide a failing kernel behind a fallback")
    return errors, []


def _kernel_handles(analysis: _Analysis) -> tuple[set[str], set[str]]:
    """(expressions bound to extension modules or kernels, triton-jitted function names)."""
    handles: set[str] = set()
    jitted: set[str] = set()
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            name = analysis.dotted(node.value.func)
            if name in _LOADERS or name in _CUPY_KERNELS:
                handles.update(ast.unparse(target) for target in node.targets)
        if isinstance(node, ast.FunctionDef) and any(
            (analysis.dotted(d.func if isinstance(d, ast.Call) else d) or "").startswith(("triton.jit", "triton.autotune"))
            for d in node.decorator_list
        ):
            jitted.add(node.name)
    for node in ast.walk(analysis.tree):  # self.ext = ext, self.f = ext.f: handles kept elsewhere
        value = node.value if isinstance(node, ast.Assign) else None
        if value is not None and (ast.unparse(value) in handles or (
                isinstance(value, ast.Attribute) and ast.unparse(value.value) in handles)):
            handles.update(ast.unparse(target) for target in node.targets)
    return handles, jitted


def _defines_kernel(analysis: _Analysis) -> bool:
    for node in ast.walk(analysis.tree):
        if isinstance(node, ast.Call):
            name = analysis.dotted(node.func)
            has_sources = any(k.arg in ("cpp_sources", "cuda_sources", "sources") for k in node.keywords) or len(node.args) >= 2
            if (name in _LOADERS and has_sources) or name in _CUPY_KERNELS:
                return True
    return bool(_kernel_handles(analysis)[1])


@_checked
def check_custom_kernel(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """A custom kernel must be defined (``load_inline``/``cpp_extension.load`` with sources, a
    ``@triton.jit`` function, or a CuPy kernel) and what ``ModelNew.forward`` runs must launch
    it: forward itself, or the candidate's own helpers, submodules and autograd Functions it
    reaches, dead branches left out (:mod:`.reach`)."""
    if not _defines_kernel(analysis):
        return ["no custom kernel is defined: build one with torch.utils.cpp_extension.load_inline "
                "(CUDA or C++ source), a @triton.jit function or a cupy.RawKernel"], []
    reached = reach(analysis.tree, analysis.dotted, set())
    if reached.functions and not any(_launches_kernel(analysis, call) for call in reached.calls):
        return ["ModelNew.forward never calls the custom kernel (nor does any helper, own submodule or autograd "
                "Function it reaches); the kernel must compute the output"], []
    return [], []


@_checked
def check_kernel_source(analysis: _Analysis, problem: Problem | None) -> tuple[list[str], list[str]]:
    """C++/CUDA strings must not call ATen compute (``at::matmul``, ``x.relu()``): that is a
    PyTorch fallback in disguise."""
    errors = []
    for text in _all_strings(analysis):
        if "(" not in text or ";" not in text:
            continue
        for name in sorted({m for m in _CPP_CALL.findall(text) if m not in _CPP_ALLOWED} | _qualified_aten_calls(text)):
            errors.append(f"kernel source calls {name}() from ATen; write the computation in the kernel itself")
        for name in sorted(set(_CPP_METHOD.findall(text))):
            errors.append(f"kernel source calls the tensor method .{name}(); write the computation in the kernel itself")
    return errors, []


def _qualified_aten_calls(text: str) -> set[str]:
    """Namespaced ATen compute calls in C++ text, by their full name; device utilities pass."""
    found = set()
    for root, path, name in _CPP_QUALIFIED_CALL.findall(text):
        parts = path.split("::")[:-1]
        if _ATEN_OP_NAMESPACES.intersection(parts) or (parts[0] in _DEVICE_NAMESPACES and name not in _DEVICE_UTILITIES):
            found.add("::".join([root, *parts, name]))
    return found


def _warn_timing_names(analysis: _Analysis) -> list[str]:
    return [
        f"{_line(node)}: refers to {name}; timing is the evaluator's job"
        for node, name in _outermost_references(analysis)
        if name.split(".")[-1] in _TIMING_NAMES and not name.startswith("torch.cuda.current")
    ]


CHECKS: dict[str, Callable[[str, Problem | None], CheckResult]] = {
    "imports": check_imports,
    "reference_use": check_reference_use,
    "try_fallback": check_try_fallback,
    "torch_compute": check_torch_compute,
    "timing_patches": check_timing_patches,
    "concurrency": check_concurrency,
    "side_streams": check_side_streams,
    "cache_policy": check_cache_policy,
    "tensor_subclass": check_tensor_subclass,
    "pointer_caching": check_pointer_caching,
    "dynamic_code": check_dynamic_code,
    "kernel_source": check_kernel_source,
    "custom_kernel": check_custom_kernel,
}


def run_guards(source: str, problem: Problem | None = None, rules: str = DEFAULT_RULES) -> GuardReport:
    """Apply every check in :data:`CHECKS`; errors and warnings are de-duplicated, in order.

    Under a rule set that does not count a check as an error (``kernelbench``), that
    check's findings become warnings, marked as such.
    """
    rule_set = get_rules(rules)
    errors: list[str] = []
    warnings: list[str] = []
    for name, check in CHECKS.items():
        ok, check_errors, check_warnings = check(source, problem)
        if check_errors and check_errors[0].startswith("the candidate is not valid Python"):
            errors += check_errors
            break
        if rule_set.is_error(name):
            errors += check_errors
        else:
            warnings += [f"{error} (allowed under the {rule_set.name} rules)" for error in check_errors]
        warnings += check_warnings
    else:
        warnings += _warn_timing_names(_analyze(source))
    errors = list(dict.fromkeys(errors))
    warnings = list(dict.fromkeys(warnings))
    return GuardReport(ok=not errors, errors=tuple(errors), warnings=tuple(warnings))
