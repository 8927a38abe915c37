"""The profiler's confirmation that a custom kernel ran: a pure check over (kernel name, device us) rows.

The rows here are written by hand as the CUDA profiler reports them (demangled names, per-call
device time); the evaluator's wiring is tested on a verdict dict, and the real CUDA run is
marked ``gpu``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from polca.kernels_bench import evaluator, worker
from polca.kernels_bench.evaluator import EvalConfig, run_candidate
from polca.kernels_bench.problems import builtin_problems_dir, load_problems
from polca.kernels_bench.profiler_check import (
    check_custom_kernel_ran,
    defined_kernel_names,
    is_library_kernel,
    row_is_defined,
)
from polca.kernels_bench.results import KernelResult
from polca.kernels_bench.scoring import fast_p, summarize
from polca.kernels_bench.timing import TimingConfig, TimingStats

_KERNELS = Path(__file__).parent / "kernels"
_RELU = load_problems(builtin_problems_dir(), ids="1")[0]
_ATEN_RELU = "void at::native::vectorized_elementwise_kernel<4, at::native::(anonymous namespace)::launch_clamp_scalar>(int)"
_OWN = "relu_kernel(float const*, float*, long)"


def test_an_honest_kernel_row_confirms_the_custom_kernel():
    assert check_custom_kernel_ran([(_OWN, 12.5)], {"relu_kernel", "relu_forward"}) == (True, [], [])


def test_mangled_templated_and_triton_names_are_recognised():
    assert row_is_defined("_Z11relu_kernelPKfPfl", {"relu_kernel"})
    assert row_is_defined("void ns::relu_kernel<float>(float const*, float*)", {"relu_kernel"})
    assert row_is_defined("relu_kernel_0d1d2de", {"relu_kernel"})
    assert not row_is_defined("my_relu_kernel(float*)", {"relu_kernel"})
    assert not row_is_defined("relu_kernel2(float*)", {"relu_kernel"})


def test_only_library_kernels_are_flagged_and_named():
    rows = [(_ATEN_RELU, 30.0), ("Memcpy DtoD (Device -> Device)", 2.0)]
    ok, errors, warnings = check_custom_kernel_ran(rows, {"relu_kernel"})
    assert not ok and warnings == []
    assert "no kernel defined by the candidate (relu_kernel) ran" in errors[0]
    assert "vectorized_elementwise_kernel" in errors[0]


def test_a_custom_kernel_that_ran_for_no_time_is_flagged():
    ok, errors, _ = check_custom_kernel_ran([(_OWN, 0.0), (_ATEN_RELU, 30.0)], {"relu_kernel"})
    assert not ok and "launched but recorded no GPU time" in errors[0]


def test_a_kernel_named_like_atens_does_not_claim_atens_row():
    ok, errors, _ = check_custom_kernel_ran([(_ATEN_RELU, 30.0)], {"vectorized_elementwise_kernel"})
    assert not ok and errors


def test_no_rows_or_no_names_confirm_nothing():
    assert "recorded no GPU kernels" in check_custom_kernel_ran(None, {"relu_kernel"})[1][0]
    assert "no kernel name could be read" in check_custom_kernel_ran([(_OWN, 1.0)], set())[1][0]
    assert not check_custom_kernel_ran([], {"relu_kernel"})[0]


def test_library_kernels_taking_most_of_the_time_give_a_warning_not_an_error():
    ok, errors, warnings = check_custom_kernel_ran([(_OWN, 1.0), ("ampere_sgemm_128x64_nn", 50.0)], {"relu_kernel"})
    assert ok and errors == [] and "library kernels" in warnings[0]


@pytest.mark.parametrize(("name", "library"), [
    (_ATEN_RELU, True), ("ampere_sgemm_128x64_nn", True), ("sm90_xmma_gemm_f32f32_tf32f32", True),
    ("cudnn::winograd_nonfused::winogradForwardData4x4(float*)", True), ("Memset (Device)", True),
    (_OWN, False), ("matmul_tiled(float const*, float const*, float*, int)", False), ("my_memcpy_kernel(float*)", False),
])
def test_library_kernels_are_told_apart_from_custom_ones(name, library):
    assert is_library_kernel(name) is library


def test_defined_names_come_from_cuda_strings_cupy_triton_and_pybind():
    assert defined_kernel_names((_KERNELS / "honest" / "relu_cuda.py").read_text()) == {"relu_kernel", "relu_forward"}
    assert defined_kernel_names((_KERNELS / "honest" / "relu_cupy.py").read_text()) == {"relu_kernel"}
    assert "relu_kernel" in defined_kernel_names((_KERNELS / "honest" / "relu_triton.py").read_text())
    source = ('import cupy\n'
              'e = cupy.ElementwiseKernel("float32 x", "float32 y", "y = x", name="copy_kernel")\n'
              'm = cupy.RawModule(code=CODE)\nf = m.get_function("scale_kernel")\n'
              'S = "m.def(\\"add\\", &add); template <int N> __global__ void __launch_bounds__(256) tile_kernel(float* x) {}"\n')
    assert defined_kernel_names(source) == {"copy_kernel", "scale_kernel", "add", "tile_kernel"}
    assert defined_kernel_names("def broken(:") == frozenset()


def _timed(**changes) -> KernelResult:
    stats = {"reference_ms": TimingStats.from_samples([2.0, 2.0, 2.0]),
             "candidate_ms": TimingStats.from_samples([1.0, 1.0, 1.0])}
    return KernelResult(problem_key="1_relu", compiled=True, correct=True, feedback="all checks passed",
                        **{**stats, **changes})


def test_an_unconfirmed_kernel_waits_for_audit_and_is_not_counted_in_fast_p():
    flagged = _timed(kernel_unconfirmed="no kernel defined by the candidate ran")
    assert flagged.needs_audit and fast_p([flagged], 1.0) == 0.0 and fast_p([flagged], 0.0) == 0.0
    assert summarize([flagged]).needs_audit == ("1_relu",)
    assert fast_p([flagged.confirm_audit()], 1.0) == 1.0
    assert KernelResult.from_dict(flagged.to_dict()) == flagged
    old = {key: value for key, value in _timed().to_dict().items() if key != "kernel_unconfirmed"}
    assert KernelResult.from_dict(old).kernel_unconfirmed == ""


def test_the_evaluator_flags_a_verdict_whose_profile_shows_only_aten():
    source = (_KERNELS / "profiler" / "library_only.py").read_text()
    result = evaluator._confirm_custom_kernel(_timed(), {"profile": "...", "kernel_rows": [[_ATEN_RELU, 30.0]]}, source)
    assert result.kernel_unconfirmed and result.needs_audit
    assert any("not counted in fast_p" in flag for flag in result.flags)
    assert "no kernel defined by the candidate" in result.feedback


def test_the_evaluator_passes_an_honest_profile_and_skips_untimed_results():
    source = (_KERNELS / "honest" / "relu_cuda.py").read_text()
    honest = evaluator._confirm_custom_kernel(_timed(), {"profile": "...", "kernel_rows": [[_OWN, 3.0]]}, source)
    assert honest == _timed()
    untimed = KernelResult(problem_key="1_relu", compiled=True, correct=True)
    assert evaluator._confirm_custom_kernel(untimed, {}, source) == untimed


def test_the_worker_returns_no_kernel_rows_on_a_cpu():
    text, rows = worker._profile_with_kernels(lambda t: torch.relu(t) + 1, [torch.randn(8, 64)], "cpu")
    assert rows is None and "aten::" in text


def _cuda_config(tmp_path) -> EvalConfig:
    return EvalConfig(device="cuda", timing=TimingConfig(warmup_trials=2, trials=10), compare_compile=False,
                      cache_root=str(tmp_path / "cache"), timeout_s=300)


@pytest.mark.gpu
def test_an_honest_cuda_kernel_is_confirmed_by_the_profiler(tmp_path):
    result = run_candidate(_RELU, (_KERNELS / "honest" / "relu_cuda.py").read_text(), _cuda_config(tmp_path))
    assert result.correct, result.feedback
    assert result.kernel_unconfirmed == "" and not result.needs_audit


@pytest.mark.gpu
def test_an_extension_that_runs_only_atens_kernel_is_flagged_on_cuda(tmp_path):
    result = run_candidate(_RELU, (_KERNELS / "profiler" / "library_only.py").read_text(), _cuda_config(tmp_path))
    assert result.correct, result.feedback
    assert "relu_kernel" in result.kernel_unconfirmed and result.needs_audit
    assert fast_p([result], 0.0) == 0.0
