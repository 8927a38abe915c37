"""Triton kernels without a GPU: Triton's interpreter (``TRITON_INTERPRET=1``) runs them on CPU
tensors, under the same guards and correctness checks as any other candidate.

Needs the ``triton`` extra (``pip install 'polca[triton]'``, part of ``dev``); skipped without it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from polca.kernels_bench import (
    EvalConfig,
    TimingConfig,
    builtin_problems_dir,
    evaluate,
    load_problems,
)
from polca.kernels_bench.correctness import CorrectnessConfig, check_correctness
from polca.kernels_bench.guards import run_guards
from polca.kernels_bench.problems import import_source
from polca.kernels_bench.shrink import shrink_problem

pytestmark = pytest.mark.skipif(importlib.util.find_spec("triton") is None,
                                reason="needs triton: pip install 'polca[triton]'")

KERNELS = Path(__file__).parent / "kernels"
RELU = load_problems(builtin_problems_dir(), ids="1")[0]
# polca's ReLU shrunk to a size the interpreter runs in milliseconds (it runs each program in Python).
SMALL_RELU = shrink_problem(RELU, max_elements=2048)
_QUICK = EvalConfig(device="cpu", seeds=(0,), distributions=("normal",), timing=TimingConfig(warmup_trials=1, trials=2),
                    compare_compile=False, recheck_seeds=(101,), timeout_s=300)


@pytest.fixture
def interpreter(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")  # read when @triton.jit runs; forwarded to the worker


def test_an_honest_triton_kernel_is_scored_correct_through_the_interpreter(interpreter):
    assert SMALL_RELU.source != RELU.source
    result = evaluate(SMALL_RELU, (KERNELS / "honest" / "relu_triton.py").read_text(), _QUICK)
    assert result.correct, result.feedback
    assert result.candidate_ms is not None and result.speedup("eager") is not None


def test_a_triton_kernel_with_a_grid_fixed_to_the_problems_size_fails_the_larger_batch(interpreter):
    source = (KERNELS / "triton" / "grid_fixed_to_problem.py").read_text()
    assert run_guards(source, RELU).ok  # nothing a parser can see
    problem = import_source(RELU.source, "triton_problem_relu")
    candidate = import_source(source, "triton_grid_fixed")
    report = check_correctness(problem.Model, candidate.ModelNew, problem.get_inputs, problem.get_init_inputs,
                               CorrectnessConfig(seeds=(0,), distributions=("normal",)))
    assert (report.failure, report.check, report.variant) == ("mismatch", "values", "larger_batch"), report.feedback


def test_operators_after_a_triton_copy_kernel_are_rejected_by_the_guards():
    report = run_guards((KERNELS / "triton" / "operator_fallback.py").read_text(), RELU)
    assert not report.ok and any("operator * to a tensor" in error for error in report.errors)


@pytest.mark.gpu
def test_an_honest_triton_kernel_is_compiled_and_scored_on_a_gpu(tmp_path):
    result = evaluate(RELU, (KERNELS / "honest" / "relu_triton.py").read_text(),
                      EvalConfig(device="cuda", cache_root=str(tmp_path)))
    assert result.correct, result.feedback
    assert result.speedup("eager") is not None


@pytest.mark.gpu
@pytest.mark.parametrize("rules", ["strict", "kernelbench"])
def test_the_triton_batch_cap_fails_on_a_gpu_under_the_strict_rules_only(rules, tmp_path):
    source = (KERNELS / "triton" / "grid_fixed_to_problem.py").read_text()
    result = evaluate(RELU, source, EvalConfig(device="cuda", cache_root=str(tmp_path), rules=rules,
                                               compare_compile=False))
    # kernelbench checks only the problem's own batch, as KernelBench does: the cap goes unseen.
    assert result.correct == (rules == "kernelbench"), result.feedback
