"""The reward-hack suite: one hostile ModelNew per known trick, each must score 0 or be flagged.

Tricks a parser can see are tested through the static guards. Tricks only a run can expose
(precision downgrade, shape hard-coding, a batch cap, input zeroing, result reuse) go through
the CPU correctness core; their fixtures leave the kernel out so no compiler is needed, which
the guards would also reject, so the runtime check is shown to catch them on its own. Runtime
tests assert on the kind of failure (stage, check, batch variant), never on message text: a
message may quote values read from uninitialised memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from polca.kernels_bench.correctness import CorrectnessConfig, check_correctness
from polca.kernels_bench.guards import run_guards
from polca.kernels_bench.problems import builtin_problems_dir, import_source, load_problems

_HACKS = Path(__file__).parent / "kernels" / "hacks"
_PROBLEMS = {p.name: p for p in load_problems(builtin_problems_dir())}

# fixture -> a phrase the guard error must contain (the guard names the trick, not just "no")
_STATIC = {
    "torch_fallback": "torch.relu",
    "alias_fallback": "torch.nn.functional.relu",
    "inherit_reference": "inherits the reference Model",
    "try_except_fallback": "except handler",
    "side_stream": "side streams",
    "deferred_thread": "imports threading",
    "lazy_subclass": "subclasses torch.Tensor",
    "timer_patch": "assigns to torch.cuda.synchronize",
    "pointer_cache": ".data_ptr",
    "operator_fallback": "applies the operator * to a tensor",
    "method_fallback": "calls .clamp_min() on a tensor",
    "persisting_l2": "cudaStreamSetAttribute",
    "unreached_submodule": "never calls the custom kernel",
    "dead_branch_kernel": "never calls the custom kernel",
    "submodule_compute": "calls .clamp_min() on a tensor",
}
# fixtures the kernelbench rules reject as well: KernelBench too requires the kernel to run
_REJECTED_UNDER_KERNELBENCH = ("unreached_submodule", "dead_branch_kernel", "lazy_subclass", "inherit_reference",
                               "try_except_fallback", "timer_patch")
# fixture -> (problem, failure stage, failed check, batch variant) the correctness core must report
_RUNTIME = {
    "precision_downgrade": ("matmul", "mismatch", "values", ""),
    "shape_hardcoding": ("relu", "runtime", "forward", "smaller_batch"),
    "batch_cap": ("relu", "mismatch", "values", "larger_batch"),
    "input_zeroing": ("relu", "mismatch", "inputs", ""),
    "result_reuse": ("relu", "mismatch", "values", ""),
}


def test_the_suite_has_one_fixture_per_known_trick():
    fixtures = {path.stem for path in _HACKS.glob("*.py")}
    assert fixtures == set(_STATIC) | set(_RUNTIME)
    assert len(fixtures) >= 12


@pytest.mark.parametrize("name", sorted(_STATIC))
def test_static_hack_is_rejected_by_the_guards(name):
    report = run_guards((_HACKS / f"{name}.py").read_text(), _PROBLEMS["relu"])
    assert not report.ok
    assert any(_STATIC[name] in error for error in report.errors), report.errors


@pytest.mark.parametrize("name", _REJECTED_UNDER_KERNELBENCH)
def test_bypass_hack_is_rejected_under_the_kernelbench_rules_too(name):
    assert not run_guards((_HACKS / f"{name}.py").read_text(), _PROBLEMS["relu"], rules="kernelbench").ok


@pytest.mark.parametrize("name", sorted(_RUNTIME))
def test_runtime_hack_fails_the_cpu_correctness_check(name):
    problem_name, failure, check, variant = _RUNTIME[name]
    problem = import_source(_PROBLEMS[problem_name].source, f"problem_{problem_name}")
    candidate = import_source((_HACKS / f"{name}.py").read_text(), f"hack_{name}")
    report = check_correctness(problem.Model, candidate.ModelNew, problem.get_inputs, problem.get_init_inputs)
    assert not report.correct
    assert (report.failure, report.check, report.variant) == (failure, check, variant), report.feedback


@pytest.mark.parametrize("name", sorted(_RUNTIME))
def test_runtime_hack_also_scores_zero_through_the_guards(name):
    assert not run_guards((_HACKS / f"{name}.py").read_text(), _PROBLEMS[_RUNTIME[name][0]]).ok


def test_lazy_subclass_output_is_rejected_at_run_time_too():
    problem = import_source(_PROBLEMS["relu"].source, "problem_relu_subclass")

    class Lazy(torch.Tensor):
        pass

    class ModelNew(torch.nn.Module):
        def forward(self, x):
            return torch.relu(x).as_subclass(Lazy)

    report = check_correctness(problem.Model, ModelNew, problem.get_inputs, problem.get_init_inputs,
                               CorrectnessConfig(seeds=(0,), shape_variants=False))
    assert not report.correct and "plain torch.Tensor" in report.reason


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(_RUNTIME))
def test_runtime_hack_fails_the_correctness_check_on_cuda(name):
    problem_name = _RUNTIME[name][0]
    problem = import_source(_PROBLEMS[problem_name].source, f"problem_{problem_name}_cuda")
    candidate = import_source((_HACKS / f"{name}.py").read_text(), f"hack_{name}_cuda")
    report = check_correctness(problem.Model, candidate.ModelNew, problem.get_inputs, problem.get_init_inputs,
                               CorrectnessConfig(device="cuda"))
    assert not report.correct, name
