"""Static guards: pure checks over the candidate's syntax tree, aliases resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from polca.kernels_bench import guards
from polca.kernels_bench.guards import CHECKS, run_guards
from polca.kernels_bench.problems import Problem

_HONEST = Path(__file__).parent / "kernels" / "honest"

_KERNEL = '''
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_ext = load_inline(name="k", cpp_sources="torch::Tensor f(torch::Tensor x);", functions=["f"])
'''


def _candidate(forward_body: str, prelude: str = "") -> str:
    return _KERNEL + prelude + "\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n" + "".join(
        f"        {line}\n" for line in forward_body.strip().splitlines()
    )


def _problem(allowed: frozenset[str] = frozenset()) -> Problem:
    return Problem(problem_id=1, name="p", level=None, path=Path("1_p.py"), source="", allowed_torch_calls=allowed)


def _errors(source: str, problem: Problem | None = None) -> str:
    return "\n".join(run_guards(source, problem).errors)


@pytest.mark.parametrize("path", sorted(_HONEST.glob("*.py")), ids=lambda p: p.stem)
def test_honest_candidates_pass_every_guard(path):
    report = run_guards(path.read_text())
    assert report.ok, report.errors


def test_every_check_has_the_static_checker_signature():
    for name, check in CHECKS.items():
        ok, errors, warnings = check(_candidate("return _ext.f(x)"), None)
        assert (ok, errors) == (True, []), name
        assert isinstance(warnings, list)


@pytest.mark.parametrize(
    ("prelude", "body", "needle"),
    [
        ("", "return torch.relu(_ext.f(x))", "torch.relu"),
        ("import torch.nn.functional as F", "return F.relu(_ext.f(x))", "torch.nn.functional.relu"),
        ('import torch.nn.functional as F\ng = getattr(F, "relu")', "return g(_ext.f(x))", "torch.nn.functional.relu"),
        ("from torch import relu as r", "return r(_ext.f(x))", "torch.relu"),
        ("from torch.nn import functional as fn\nh = fn", "return h.gelu(_ext.f(x))", "torch.nn.functional.gelu"),
        ("T = torch", "return T.softmax(_ext.f(x), 1)", "torch.softmax"),
        ("", "return torch.ops.aten.relu(_ext.f(x))", "torch.ops"),
        ("", "return _ext.f(x) @ x", "@ operator"),
        ("", "return _ext.f(x).matmul(x)", ".matmul()"),
        ("", "return nn.ReLU()(_ext.f(x))", "layer"),
        ("", "return [torch.nn.functional.relu][0](_ext.f(x))", "torch.nn.functional.relu"),
        ("from torch.nn.functional import *", "return _ext.f(x)", "torch.nn.functional.*"),
    ],
)
def test_pytorch_compute_is_caught_through_aliases(prelude, body, needle):
    assert needle in _errors(_candidate(body, prelude))


def test_calling_an_nn_layer_kept_for_its_weights_is_caught():
    source = _KERNEL + '''
class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        _ext.f(x)
        return self.conv(x)
'''
    assert "layer self.conv" in _errors(source)
    assert "layer conv" in _errors(source.replace("return self.conv(x)", "conv = self.conv\n        return conv(x)"))
    ok = source.replace("return self.conv(x)", "return _ext.f(self.conv.weight)")
    assert run_guards(ok).ok


def test_the_problem_allow_list_permits_named_calls():
    source = _candidate("return torch.nn.functional.conv2d(_ext.f(x), x)")
    assert "conv2d" in _errors(source)
    assert run_guards(source, _problem(frozenset({"torch.nn.functional.conv2d"}))).ok


def test_allocation_dtypes_and_loaders_are_allowed():
    body = "out = torch.empty_like(x, dtype=torch.float32)\nreturn _ext.f(torch.zeros(3, device=x.device), out)"
    assert run_guards(_candidate(body)).ok


@pytest.mark.parametrize(
    ("prelude", "body", "needle"),
    [
        ("", "y = _ext.f(x)\nreturn y.clamp_min(0) * 2 + 1", ".clamp_min()"),
        ("", "y = _ext.f(x)\nreturn y.clamp_min(0) * 2 + 1", "operator * to a tensor"),
        ("", "return _ext.f(x) + 1", "operator + to a tensor"),
        ("", "return -_ext.f(x)", "operator - to a tensor"),
        ("", "y = _ext.f(x)\ny += 1\nreturn y", "+= to a tensor"),
        ("", "return _ext.f(x * (x > 0))", "compares a tensor"),
        ("", "return _ext.f(x).__mul__(2)", ".__mul__()"),
        ("", "return abs(_ext.f(x))", "calls abs() on a tensor"),
        ("", "self.keep = _ext.f(x)\nreturn self.keep * 2", "operator * to a tensor"),
        ("", "parts = [_ext.f(x)]\nreturn parts[0] * 2", "operator * to a tensor"),
        ("", "for y in (_ext.f(x),):\n    return y.exp2()", ".exp2()"),
        ("def finish(v, k):\n    return v * k", "return finish(_ext.f(x), 2)", "operator * to a tensor"),
        ("def finish(v):\n    return v.sigmoid()", "return finish(v=_ext.f(x))", ".sigmoid()"),
    ],
)
def test_operators_and_methods_on_tensors_are_pytorch_compute(prelude, body, needle):
    assert needle in _errors(_candidate(body, prelude))


def test_an_init_weight_used_in_forward_counts_as_a_tensor():
    source = _KERNEL + """

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4))
        self.register_buffer("bias", torch.zeros(4))

    def forward(self, x):
        return _ext.f(x) * self.weight + self.bias
"""
    assert "operator * to a tensor" in _errors(source)


def test_data_movement_views_and_grid_arithmetic_on_shapes_are_allowed():
    body = """
n = x.numel()
rows, cols = x.shape
grid = ((n + 255) // 256, x.size(0) * 2, x.shape[-1] - 1)
flat = x.contiguous().view(-1).reshape(rows, cols).to(torch.float32).unsqueeze(0)[0]
out = torch.empty_like(flat)
out[0] = flat[1]
half = out.narrow(0, 0, rows // 2)
if x.dim() != 2 or x.is_cuda:
    raise ValueError("2-D CPU input")
return _ext.f(flat, out, half, grid, n)
"""
    assert run_guards(_candidate(body)).ok, run_guards(_candidate(body)).errors


def test_scalar_forward_arguments_are_numbers_not_tensors():
    source = _KERNEL + """

class ModelNew(nn.Module):
    def forward(self, x, dim: int, scale=2.0):
        return _ext.f(x, dim * 2, scale / 2)
"""
    assert run_guards(source).ok, run_guards(source).errors


def test_triton_kernel_bodies_are_the_kernel_and_not_looked_into():
    source = (_HONEST / "relu_triton.py").read_text()
    assert "tl.where(values > 0" in source  # a comparison, inside the @triton.jit kernel
    assert run_guards(source).ok


def test_the_kernelbench_rules_keep_pytorch_compute_as_a_warning():
    source = _candidate("return torch.relu(_ext.f(x)) * 2")
    strict, kernelbench = run_guards(source, rules="strict"), run_guards(source, rules="kernelbench")
    assert not strict.ok
    assert kernelbench.ok and any("allowed under the kernelbench rules" in w for w in kernelbench.warnings)
    assert "torch.relu" in "\n".join(kernelbench.warnings)


def test_the_kernelbench_rules_still_reject_its_own_strict_bypasses():
    fallback = _candidate("try:\n    return _ext.f(x)\nexcept RuntimeError:\n    return torch.relu(x)")
    assert not run_guards(fallback, rules="kernelbench").ok
    assert not run_guards("import torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n"
                          "        return torch.relu(x)\n", rules="kernelbench").ok  # no custom kernel


def test_an_unknown_rule_set_lists_the_choices():
    with pytest.raises(ValueError, match="strict, kernelbench"):
        run_guards(_candidate("return _ext.f(x)"), rules="lenient")


@pytest.mark.parametrize(
    "snippet",
    [
        "cudaStreamSetAttribute(stream, cudaStreamAttributeAccessPolicyWindow, &attr);",
        "cudaAccessPolicyWindow window = {};",
        "attr.accessPolicyWindow.hitRatio = 1.0f;",
        "attr.accessPolicyWindow.hitProp = cudaAccessPropertyPersisting;",
        "cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, size);",
        "cudaCtxResetPersistingL2Cache();",
        'asm volatile("createpolicy.fractional.L2::evict_last.b64 %0, 1.0;" : "=l"(policy));',
        "cudaMemPrefetchAsync(ptr, bytes, 0);",
        "cudaMemAdvise(ptr, bytes, cudaMemAdviseSetReadMostly, 0);",
    ],
)
def test_cache_policy_calls_in_kernel_source_are_caught(snippet):
    source = _KERNEL.replace('"torch::Tensor f(torch::Tensor x);"', repr("void g() { " + snippet + " }")) + (
        "\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        return _ext.f(x)\n")
    assert "sets a cache policy" in _errors(source)


@pytest.mark.parametrize(
    ("prelude", "needle"),
    [
        ("torch.cuda.synchronize = lambda: None", "assigns to torch.cuda.synchronize"),
        ("import time\ntime.perf_counter = lambda: 0.0", "assigns to time.perf_counter"),
        ("torch.cuda.Event = object", "assigns to torch.cuda.Event"),
        ("setattr(torch.cuda, 'synchronize', print)", "torch.cuda"),
        ("import torch.cuda as tc\ntc.Event.elapsed_time = lambda *a: 0.0", "torch.cuda.Event.elapsed_time"),
    ],
)
def test_timing_and_sync_patching_is_caught(prelude, needle):
    assert needle in _errors(_candidate("return _ext.f(x)", prelude))


def test_environment_variables_may_be_set():
    assert run_guards(_candidate("return _ext.f(x)", 'import os\nos.environ["TORCH_CUDA_ARCH_LIST"] = "9.0"')).ok


@pytest.mark.parametrize("rules", ["strict", "kernelbench"])
@pytest.mark.parametrize(
    ("prelude", "needle"),
    [("import threading", "imports threading"),
     ("from concurrent.futures import ThreadPoolExecutor", "imports concurrent.futures"),
     ("import multiprocessing", "imports multiprocessing"), ("import asyncio", "imports asyncio"),
     ("import subprocess", "imports subprocess"), ("import _thread", "imports _thread"),
     ("import torch.multiprocessing as mp\nmp.Pool", "imports torch.multiprocessing"),
     ("p = torch.multiprocessing.Pool", "uses torch.multiprocessing.Pool"),
     ("t = __import__('threading')", "imports threading at run time"),
     ("import importlib\nt = importlib.import_module('concurrent.futures')", "imports concurrent.futures at run time"),
     ("import os\nos.fork", "uses os.fork"), ("import os\nos.system", "uses os.system"),
     ("from os import fork as f\nf()", "uses os.fork"),
     ("async def later():\n    return 1", "uses async code"),
     ("_s = 'void f() { std::thread t(g); }'", "kernel source starts host threads")],
)
def test_threads_processes_and_asyncio_are_rejected_under_every_rule_set(prelude, needle, rules):
    report = run_guards(_candidate("return _ext.f(x)", prelude), rules=rules)
    assert any(needle in error for error in report.errors), report.errors


def test_a_harmless_import_outside_the_list_is_only_a_warning_under_the_kernelbench_rules():
    source = _candidate("return _ext.f(x)", "import itertools")
    assert "imports itertools" in _errors(source)
    kernelbench = run_guards(source, rules="kernelbench")
    assert kernelbench.ok and any("imports itertools" in warning for warning in kernelbench.warnings)


@pytest.mark.parametrize(
    "prelude",
    ["class T(torch.Tensor):\n    pass", "y = torch.Tensor._make_subclass",
     "class W:\n    def __torch_function__(self, *a):\n        return 1"],
)
def test_tensor_subclasses_are_caught(prelude):
    assert _errors(_candidate("return _ext.f(x)", prelude))


def test_pointer_and_storage_caching_is_caught_but_a_launch_argument_is_not():
    assert ".data_ptr" in _errors(_candidate("key = x.data_ptr()\nreturn _ext.f(x)"))
    assert ".untyped_storage" in _errors(_candidate("s = x.untyped_storage()\nreturn _ext.f(x)"))
    cupy_launch = '''
import cupy
import torch
import torch.nn as nn

_kernel = cupy.RawKernel(r"extern \\"C\\" __global__ void k(float* x) {}", "k")


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        _kernel((1,), (1,), (x.data_ptr(), out.data_ptr()))
        return out
'''
    assert run_guards(cupy_launch).ok, run_guards(cupy_launch).errors


@pytest.mark.parametrize(
    "body",
    ["exec('y = 1')\nreturn _ext.f(x)", "eval('1')\nreturn _ext.f(x)", "__import__('torch')\nreturn _ext.f(x)",
     "g = globals()\nreturn _ext.f(x)", "return getattr(torch, 're' + 'lu')(x)",
     "return torch.__dict__['relu'](x)", "open('/tmp/out')\nreturn _ext.f(x)"],
)
def test_dynamic_code_is_caught(body):
    assert _errors(_candidate(body))


@pytest.mark.parametrize("prelude", ["import importlib", "import sys", "import builtins", "import ctypes", "import gc"])
def test_imports_outside_the_allow_list_are_caught(prelude):
    assert "imports" in _errors(_candidate("return _ext.f(x)", prelude))


def test_reference_model_use_is_caught():
    assert "inherits the reference Model" in _errors(_KERNEL + "\nclass ModelNew(Model):\n    pass\n")
    assert "refers to the reference Model" in _errors(_candidate("return Model()(x)"))


def test_try_except_fallback_is_caught_but_reraising_is_allowed():
    fallback = _candidate("try:\n    return _ext.f(x)\nexcept Exception:\n    return x")
    assert "except handler" in _errors(fallback)
    reraise = _candidate("try:\n    return _ext.f(x)\nexcept Exception:\n    raise")
    assert run_guards(reraise).ok


def test_a_custom_kernel_must_be_defined_and_reached_from_forward():
    no_kernel = "import torch.nn as nn\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        return x\n"
    assert "no custom kernel" in _errors(no_kernel)
    unused = _candidate("return x")
    assert "never calls the custom kernel" in _errors(unused)
    through_helper = _candidate("return helper(x)", "def helper(x):\n    return _ext.f(x)")
    assert run_guards(through_helper).ok


def test_aten_compute_inside_kernel_source_is_caught():
    source = _candidate("return _ext.f(x)").replace(
        'cpp_sources="torch::Tensor f(torch::Tensor x);"',
        'cpp_sources="torch::Tensor f(torch::Tensor x) { return torch::matmul(x, x.relu()); }"',
    )
    errors = _errors(source)
    assert "matmul()" in errors and ".relu()" in errors


@pytest.mark.parametrize(
    "call, reported",
    [
        ("at::_ops::relu::call(x)", "at::_ops::relu::call()"),
        ("at::native::relu(x)", "at::native::relu()"),
        ("at::cpu::add(x, x)", "at::cpu::add()"),
        ("torch::nn::functional::relu(x)", "torch::nn::functional::relu()"),
    ],
)
def test_namespaced_aten_compute_inside_kernel_source_is_caught(call, reported):
    source = _candidate("return _ext.f(x)").replace(
        'cpp_sources="torch::Tensor f(torch::Tensor x);"',
        f'cpp_sources="torch::Tensor f(torch::Tensor x) {{ return {call}; }}"',
    )
    assert reported in _errors(source)


def test_the_profiler_fixture_handing_work_to_aten_is_also_caught_statically():
    source = (Path(__file__).parent / "kernels" / "profiler" / "library_only.py").read_text()
    assert "at::_ops::relu::call()" in _errors(source)


def test_device_utilities_inside_kernel_source_pass():
    source = _candidate("return _ext.f(x)").replace(
        'cpp_sources="torch::Tensor f(torch::Tensor x);"',
        'cpp_sources="void g() { auto s = at::cuda::getCurrentCUDAStream(); }"',
    )
    assert "ATen" not in " ".join(run_guards(source).errors)


def test_side_streams_in_kernel_source_are_caught():
    source = _candidate("return _ext.f(x)").replace(
        'cpp_sources="torch::Tensor f(torch::Tensor x);"',
        'cpp_sources="void g() { cudaStream_t s; cudaStreamCreate(&s); }"',
    )
    assert "creates a CUDA stream" in _errors(source)


def test_syntax_errors_are_reported_not_raised():
    report = run_guards("class ModelNew(:\n")
    assert not report.ok and "not valid Python" in report.errors[0]


def test_precision_downcasts_are_warnings():
    report = run_guards(_candidate("return _ext.f(x.half()).float()"))
    assert report.ok and any("precision" in w for w in report.warnings)


def test_checks_are_pure_and_cached_by_source():
    source = _candidate("return _ext.f(x)")
    assert guards.check_torch_compute(source, None) == guards.check_torch_compute(source, None)


def test_random_weights_and_nn_init_are_allowed_in_init():
    source = _KERNEL + '''
import math


class ModelNew(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n, n))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x):
        return _ext.f(x, self.weight)
'''
    assert run_guards(source).ok, run_guards(source).errors


_BLOCK = '''

class Block(nn.Module):
    def forward(self, x):
        return _ext.f(x)
'''


def _model(init: str, forward: str, prelude: str = _BLOCK) -> str:
    """A candidate whose ``ModelNew`` has the given ``__init__`` and ``forward`` bodies; a
    ``forward`` may go on with more methods after a ``\n---\n`` line (``def _step(self, x): ...``)."""
    forward, _, methods = forward.partition("\n---\n")
    indent = lambda body, depth: "".join(f"{' ' * depth}{line}\n" for line in body.strip().splitlines())  # noqa: E731
    return (_KERNEL + prelude + "\n\nclass ModelNew(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            + indent(init, 8) + "\n    def forward(self, x):\n" + indent(forward, 8) + "\n" + indent(methods, 4))


@pytest.mark.parametrize(
    ("init", "forward"),
    [("self.block = Block()", "return self.block(x)"),
     ("self.block = Block()", "return self.block.forward(x)"),
     ("self.blocks = nn.ModuleList([Block(), Block()])", "return self.blocks[1](self.blocks[0](x))"),
     ("self.blocks = nn.ModuleDict({'a': Block()})", "for name, block in self.blocks.items():\n    x = block(x)\nreturn x"),
     ("layers = []\nlayers.append(Block())\nself.blocks = nn.ModuleList(layers)",
      "for i, block in enumerate(self.blocks):\n    x = block(x)\nreturn x"),
     ("self.add_module('block', Block())", "return self.block(x)"),
     ("self.block = make_block()", "return self.block(x)"),
     ("self.block = Block()", "return self._step(x)\n---\ndef _step(self, x):\n    return self.block(x)")],
    ids=["attribute", "forward-method", "module-list-item", "module-dict-loop", "list-built-in-init", "add-module",
         "helper-returns-it", "own-method"],
)
def test_the_kernel_may_be_launched_by_an_own_submodule(init, forward):
    source = _model(init, forward, _BLOCK + "\n\ndef make_block():\n    return Block()\n")
    assert run_guards(source).ok, run_guards(source).errors


def test_an_own_submodule_inside_nn_sequential_reaches_the_kernel_under_the_kernelbench_rules():
    # the published MobileNetV2 pattern: a helper builds a list, nn.Sequential(*list) holds it
    init = ("def stage():\n    layers = [Block()]\n    return nn.Sequential(*layers), True\n"
            "features = []\nblock, _ = stage()\nfeatures.append(block)\nself.features = nn.Sequential(*features)")
    source = _model(init, "return self.features(x)")
    assert run_guards(source, rules="kernelbench").ok, run_guards(source, rules="kernelbench").errors
    assert "calls the PyTorch layer self.features" in _errors(source)  # strict: nn.Sequential is an nn layer


@pytest.mark.parametrize(
    "prelude",
    ["class Op(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        return _ext.f(x)\n",
     "class Op(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        return _ext.f(x)\n\n"
     "op = Op.apply\n"],
    ids=["apply", "apply-bound-to-a-name"],
)
def test_an_own_autograd_function_reaches_the_kernel_and_is_not_a_tensor_subclass(prelude):
    call = "Op.apply(x)" if "op = " not in prelude else "op(x)"
    source = _candidate(f"return {call}", prelude)
    assert run_guards(source).ok, run_guards(source).errors


@pytest.mark.parametrize(
    ("init", "forward"),
    [("self.block = Block()", "return torch.relu(x)"),
     ("make_block()", "return torch.relu(x)"),
     ("self.block = Block()", "if False:\n    return self.block(x)\nreturn torch.relu(x)"),
     ("self.block = Block()", "while 0:\n    x = self.block(x)\nreturn torch.relu(x)"),
     ("self.block = Block()", "if True:\n    return torch.relu(x)\nelse:\n    return self.block(x)"),
     ("self.block = Block()", "return torch.relu(x)\nself.block(x)"),
     ("self.block = Block()", "return torch.relu(x)\n---\ndef unused(self, x):\n    return self.block(x)"),
     ("self.blocks = nn.ModuleList([Block()])", "for block in self.blocks:\n    pass\nreturn torch.relu(x)"),
     ("self.block = nn.ReLU()\nspare = Block()", "return self.block(x)")],
    ids=["held-never-called", "built-never-held", "if-false", "while-zero", "else-of-if-true", "after-return",
         "uncalled-method", "loop-without-call", "other-module-held"],
)
def test_an_own_submodule_that_forward_never_runs_does_not_count_as_the_kernel(init, forward):
    source = _model(init, forward, _BLOCK + "\n\ndef make_block():\n    return Block()\n")
    for rules in ("strict", "kernelbench"):
        report = run_guards(source, rules=rules)
        assert not report.ok and any("never calls the custom kernel" in e for e in report.errors), report.errors


@pytest.mark.parametrize(
    "prelude",
    ["class Scale(nn.Module):\n    def forward(self, x):\n        return _ext.f(x) * 2\n",
     "class Scale(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        return -_ext.f(x)\n",
     "class Ops:\n    @staticmethod\n    def scale(x):\n        return _ext.f(x) + 1\n"],
    ids=["submodule", "autograd-function", "static-method"],
)
def test_pytorch_compute_inside_own_submodules_is_still_pytorch_compute(prelude):
    forward = {"class Scale(nn": "return self.scale(x)", "class Scale(torch": "return Scale.apply(x)"}
    body = next((v for k, v in forward.items() if prelude.startswith(k)), "return Ops.scale(x)")
    source = _model("self.scale = Scale()" if "nn.Module" in prelude else "pass", body, "\n\n" + prelude)
    assert "applies the operator" in _errors(source)
    assert run_guards(source, rules="kernelbench").ok  # KernelBench keeps PyTorch operators as a warning


def test_an_autograd_function_with_a_torch_function_hook_is_still_caught():
    prelude = ("class Op(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        return _ext.f(x)\n\n"
               "    @classmethod\n    def __torch_function__(cls, func, types, args=(), kwargs=None):\n        return 1\n")
    source = _candidate("return Op.apply(x)", prelude)
    assert "uses __torch_function__" in "\n".join(run_guards(source, rules="kernelbench").errors)


@pytest.mark.parametrize(
    ("init", "forward"),
    [("self.layers = nn.ModuleList([nn.Linear(4, 4)])", "for layer in self.layers:\n    x = layer(x)\nreturn _ext.f(x)"),
     ("self.layers = nn.ModuleList([nn.Linear(4, 4)])", "return _ext.f(self.layers[0](x))"),
     ("layers = [nn.ReLU()]\nself.layers = nn.ModuleDict({'act': layers[0]})",
      "for name, layer in self.layers.items():\n    x = layer(x)\nreturn _ext.f(x)")],
    ids=["module-list-loop", "module-list-index", "module-dict-through-a-local-list"],
)
def test_nn_layers_run_from_a_container_are_pytorch_compute(init, forward):
    source = _model(init, forward)
    assert "calls the PyTorch layer" in _errors(source)
    assert run_guards(source, rules="kernelbench").ok


def test_nn_layers_run_inside_an_own_submodule_are_pytorch_compute():
    prelude = ("\n\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
               "        self.steps = nn.ModuleList([nn.Linear(4, 4)])\n\n    def forward(self, x):\n"
               "        for step in self.steps:\n            x = step(x)\n        return _ext.f(x)\n")
    source = _model("self.block = Block()", "return self.block(x)", prelude)
    assert "calls the PyTorch layer step" in _errors(source)


def test_a_python_list_of_tensors_may_grow():
    source = _candidate("outputs = [x]\noutputs.append(_ext.f(x))\noutputs.extend([x])\nreturn outputs[1]")
    assert run_guards(source).ok, run_guards(source).errors


@pytest.mark.parametrize(
    "forward",
    ["if not True:\n    return self.block(x)\nreturn torch.relu(x)",
     "if USE_KERNEL:\n    return self.block(x)\nreturn torch.relu(x)",
     "if USE_KERNEL and x is not None:\n    return self.block(x)\nreturn torch.relu(x)",
     "if MODE == 'kernel':\n    return self.block(x)\nreturn torch.relu(x)"],
    ids=["not-true", "false-flag", "false-flag-and-more", "flag-compared"],
)
def test_a_launch_behind_a_constant_false_test_does_not_count(forward):
    source = _model("self.block = Block()", forward, _BLOCK + "\nUSE_KERNEL = False\nMODE = 'eager'\n")
    assert "never calls the custom kernel" in "\n".join(run_guards(source, rules="kernelbench").errors)


def test_a_flag_that_is_reassigned_is_not_a_constant():
    source = _model("self.block = Block()", "if USE_KERNEL:\n    return self.block(x)\nreturn torch.relu(x)",
                    _BLOCK + "\nUSE_KERNEL = False\n\n\ndef enable():\n    global USE_KERNEL\n    USE_KERNEL = True\n")
    assert run_guards(source, rules="kernelbench").ok
