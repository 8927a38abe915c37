"""The reward-hack suite: one hostile ModelNew per known trick, each must score 0 under both
rule sets, or, where docs/kernels.md says the kernelbench rules allow it, be flagged there.

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
from polca.kernels_bench.rules import RULE_SETS, get_rules

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
# The only fixtures the kernelbench rules let through their guards, each with the allowance
# docs/kernels.md ("Two rule sets") names for it; there the strict error comes back as a flag.
# Every other fixture must score 0 under both rule sets: a new fixture that passes kernelbench
# fails this suite until the docs name the allowance and it is added here.
_PYTORCH_OPERATORS = "PyTorch operators may stay in ModelNew"
_NOT_A_KERNELBENCH_CHECK = "not one of KernelBench's strict checks, so a warning"
_KERNELBENCH_ALLOWS = {
    "torch_fallback": _PYTORCH_OPERATORS,
    "alias_fallback": _PYTORCH_OPERATORS,
    "operator_fallback": _PYTORCH_OPERATORS,
    "method_fallback": _PYTORCH_OPERATORS,
    "submodule_compute": _PYTORCH_OPERATORS,
    "side_stream": _NOT_A_KERNELBENCH_CHECK,
    "pointer_cache": _NOT_A_KERNELBENCH_CHECK,
    "persisting_l2": _NOT_A_KERNELBENCH_CHECK,
}
# Runtime fixtures whose trick the kernelbench correctness rules do not look for (no shape
# variant, no unchanged-inputs check); they still score 0 there because they define no kernel.
_KERNELBENCH_CORRECTNESS_ALLOWS = {"shape_hardcoding": "no shape variant", "batch_cap": "no shape variant",
                                   "input_zeroing": "no input check"}
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


def _fixture_problem(name: str) -> str:
    return _RUNTIME[name][0] if name in _RUNTIME else "relu"


@pytest.mark.parametrize("rules", sorted(RULE_SETS))
@pytest.mark.parametrize("name", sorted(path.stem for path in _HACKS.glob("*.py")))
def test_every_hack_scores_zero_under_every_rule_set_unless_the_docs_allow_it(name, rules):
    report = run_guards((_HACKS / f"{name}.py").read_text(), _PROBLEMS[_fixture_problem(name)], rules=rules)
    if rules == "kernelbench" and name in _KERNELBENCH_ALLOWS:
        assert report.ok, report.errors
        assert any("allowed under the kernelbench rules" in warning for warning in report.warnings)
    else:
        assert not report.ok, f"{name} passes the {rules} guards"


def test_the_kernelbench_allowances_name_existing_fixtures():
    fixtures = {path.stem for path in _HACKS.glob("*.py")}
    assert set(_KERNELBENCH_ALLOWS) <= fixtures and set(_KERNELBENCH_CORRECTNESS_ALLOWS) <= set(_RUNTIME)


@pytest.mark.parametrize("name", sorted(_RUNTIME))
def test_runtime_hack_fails_the_cpu_correctness_check(name):
    problem_name, failure, check, variant = _RUNTIME[name]
    problem = import_source(_PROBLEMS[problem_name].source, f"problem_{problem_name}")
    candidate = import_source((_HACKS / f"{name}.py").read_text(), f"hack_{name}")
    report = check_correctness(problem.Model, candidate.ModelNew, problem.get_inputs, problem.get_init_inputs)
    assert not report.correct
    assert (report.failure, report.check, report.variant) == (failure, check, variant), report.feedback


@pytest.mark.parametrize("name", sorted(_RUNTIME))
def test_runtime_hack_fails_the_kernelbench_correctness_check_unless_the_docs_allow_it(name):
    rules = get_rules("kernelbench")
    config = CorrectnessConfig(distributions=("problem",), shape_variants=rules.shape_variants,
                               alternate_order=rules.alternate_order, check_inputs=rules.check_inputs)
    problem = import_source(_PROBLEMS[_RUNTIME[name][0]].source, f"problem_{name}_kernelbench")
    candidate = import_source((_HACKS / f"{name}.py").read_text(), f"hack_{name}_kernelbench")
    report = check_correctness(problem.Model, candidate.ModelNew, problem.get_inputs, problem.get_init_inputs, config)
    assert report.correct == (name in _KERNELBENCH_CORRECTNESS_ALLOWS), report.feedback


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
