"""Did a custom kernel run? The profiler's answer, as a pure check over kernel rows.

The guards prove statically that ``ModelNew.forward`` can reach a custom kernel; they cannot
prove that it does. After timing on CUDA the worker profiles the candidate's forward and
returns every GPU kernel that ran as a ``(kernel name, device time in us per call)`` row.
:func:`check_custom_kernel_ran` then asks whether one of those kernels is the candidate's
own: its name is one the candidate's source defines (a ``__global__`` function, a
``cupy.RawKernel`` name, a ``@triton.jit`` function, a pybind name) and it took device time.
A result where only PyTorch's library kernels ran (ATen, cuBLAS, cuDNN, CUTLASS, copies)
is flagged: the speedup is PyTorch's, not the candidate's.

A row that looks like a library kernel never counts as the candidate's, even when its name
contains a defined name: a candidate cannot name its kernel ``vectorized_elementwise_kernel``
and pass off ``at::native::vectorized_elementwise_kernel`` as its own.

On a CPU the profiler records ATen operators only; the loop of a C++ extension shows no row
of its own, so the check is applied to CUDA runs only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Sequence

from polca.parsing import parse_python

KernelRow = tuple[str, float]  # (kernel name as the profiler reports it, device time in us)

# Substrings of kernel names that PyTorch's own libraries launch (case-insensitive).
LIBRARY_KERNEL_MARKERS = ("at::", "at_cuda_detail", "c10::", "cublas", "cudnn", "cutlass", "cub::", "thrust::",
                          "xmma", "nvjet", "gemmsn", "gemv2", "splitkreduce")
# Copies and fills as the profiler names them, and cuBLAS/cuDNN kernels named after the GPU
# generation (ampere_sgemm_128x64_nn, sm90_xmma_...).
_LIBRARY_PREFIXES = re.compile(r"^(?:Memcpy|Memset)\b|^(?:void\s+)?(?:volta|turing|ampere|hopper|blackwell|sm\d+)_",
                               re.IGNORECASE)
_GLOBAL = re.compile(r"__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?void\s+"
                     r"(?:__launch_bounds__\s*\([^)]*\)\s*)?([A-Za-z_]\w*)")
_PYBIND = re.compile(r"\.def\(\s*\"([A-Za-z_]\w*)\"")
# Where each CuPy constructor takes its kernel name: (positional index, keyword).
_CUPY_NAME_ARGUMENT = {"RawKernel": (1, "name"), "ElementwiseKernel": (3, "name"), "ReductionKernel": (6, "name")}


def is_library_kernel(name: str) -> bool:
    """True for kernels PyTorch's own libraries launch (ATen, cuBLAS, cuDNN, CUTLASS, copies)."""
    lowered = name.lower()
    return any(marker in lowered for marker in LIBRARY_KERNEL_MARKERS) or bool(_LIBRARY_PREFIXES.match(name))


def row_is_defined(name: str, defined: Collection[str]) -> bool:
    """True when the kernel ``name`` is one of ``defined``: demangled (``relu_kernel(float*)``,
    ``ns::relu_kernel<float>``), mangled (``_Z11relu_kernelPf``) or Triton-suffixed (``relu_kernel_0d1d``)."""
    for wanted in defined:
        escaped = re.escape(wanted)
        demangled = rf"(?<![A-Za-z0-9_]){escaped}(?:_[0-9de]+)?(?![A-Za-z0-9_])"
        mangled = rf"(?<![0-9]){len(wanted)}{escaped}"  # Itanium: the length, then the name
        if re.search(demangled, name) or re.search(mangled, name):
            return True
    return False


def check_custom_kernel_ran(rows: Sequence[KernelRow] | None, defined: Collection[str]) -> tuple[bool, list[str], list[str]]:
    """``(ok, errors, warnings)``: ok when a kernel the candidate defines ran for positive device time.

    ``rows`` is None when the profiler could not record GPU kernels; then nothing is confirmed.
    Warnings (advice, never a flag) say when library kernels took most of the device time.
    """
    if rows is None:
        return False, ["the profiler recorded no GPU kernels, so it could not confirm that a custom kernel ran"], []
    if not defined:
        return False, ["no kernel name could be read from the source (a __global__ function, a RawKernel name, "
                       "a @triton.jit function); write the kernel source as a string literal"], []
    own = [(name, time_us) for name, time_us in rows if not is_library_kernel(name) and row_is_defined(name, defined)]
    if not any(time_us > 0 for _, time_us in own):
        return False, [_not_ran_message(rows, own, defined)], []
    own_us = sum(time_us for _, time_us in own)
    total_us = sum(time_us for _, time_us in rows)
    if total_us > 2 * own_us:
        return True, [], [f"the candidate's own kernels took {own_us:.4g} us of {total_us:.4g} us of GPU time per call; "
                          "the rest went to PyTorch's library kernels"]
    return True, [], []


def _not_ran_message(rows: Sequence[KernelRow], own: Sequence[KernelRow], defined: Collection[str]) -> str:
    names = ", ".join(sorted(defined))
    if own:
        return f"the candidate's kernels ({names}) launched but recorded no GPU time; the output came from elsewhere"
    ran = ", ".join(sorted({name.split("(")[0][:80] for name, _ in rows})[:5]) or "none"
    return (f"no kernel defined by the candidate ({names}) ran on the GPU during its forward; "
            f"the kernels that ran were PyTorch's or unknown ({ran}): the custom kernel must compute the output")


def defined_kernel_names(source: str) -> frozenset[str]:
    """Kernel names ``source`` defines: ``__global__`` functions and pybind names in its strings,
    CuPy kernel names and ``@triton.jit`` functions. Empty for a source that does not parse."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.update(_GLOBAL.findall(node.value))
            names.update(_PYBIND.findall(node.value))
        elif isinstance(node, ast.Call):
            names.update(_call_kernel_names(node))
        elif isinstance(node, ast.FunctionDef) and any("triton" in ast.unparse(d) for d in node.decorator_list):
            names.add(node.name)
    return frozenset(names)


def _call_kernel_names(call: ast.Call) -> set[str]:
    """Names given literally to ``RawKernel``/``ElementwiseKernel``/``ReductionKernel``,
    ``get_function`` and ``load_inline(functions=[...])``."""
    func = call.func
    callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    values: list[ast.AST] = []
    if callee in _CUPY_NAME_ARGUMENT:
        index, keyword = _CUPY_NAME_ARGUMENT[callee]
        values += call.args[index:index + 1] + [k.value for k in call.keywords if k.arg == keyword]
    elif callee == "get_function":
        values += call.args[:1]
    elif callee in ("load_inline", "load"):
        for keyword in call.keywords:
            if keyword.arg == "functions":
                values += keyword.value.elts if isinstance(keyword.value, ast.List | ast.Tuple) else [keyword.value]
    return {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value.isidentifier()}
