"""The CPU correctness core: seeds, distributions, clones, run orders, exact types, tolerances."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from polca.kernels_bench.correctness import (
    CorrectnessConfig,
    check_correctness,
    fresh_inputs,
    tolerance_for,
    vary_batch,
)
from polca.kernels_bench.problems import builtin_problems_dir, import_source, load_problems

_PROBLEMS = {p.name: p for p in load_problems(builtin_problems_dir())}
_FAST = CorrectnessConfig(seeds=(0, 1), shape_variants=False)


def _problem(name: str):
    return import_source(_PROBLEMS[name].source, f"problem_{name}")


def _check(problem, candidate_cls, config: CorrectnessConfig | None = None):
    return check_correctness(problem.Model, candidate_cls, problem.get_inputs, problem.get_init_inputs, config)


@pytest.mark.parametrize("name", sorted(_PROBLEMS))
def test_the_reference_is_correct_against_itself(name):
    problem = _problem(name)
    report = _check(problem, problem.Model)
    assert report.correct, report.feedback
    assert report.trials >= 5 * 4


def test_five_seeds_and_four_distributions_are_the_default():
    config = CorrectnessConfig()
    assert len(config.seeds) >= 5
    assert set(config.distributions) == {"uniform", "normal", "signed", "scaled"}


def test_fresh_inputs_follow_the_distribution_and_keep_integers_integer():
    template = [torch.zeros(64, 100), torch.randint(3, 9, (64,)), 7]
    uniform = fresh_inputs(template, 0, "uniform", "cpu")
    signed = fresh_inputs(template, 0, "signed", "cpu")
    scaled = fresh_inputs(template, 0, "scaled", "cpu")
    assert uniform[0].min() >= 0 and signed[0].min() < 0 and scaled[0].abs().max() > 5
    assert uniform[1].dtype == torch.int64 and 3 <= int(uniform[1].min()) and int(uniform[1].max()) <= 8
    assert uniform[2] == 7
    assert not torch.equal(fresh_inputs(template, 1, "normal", "cpu")[0], fresh_inputs(template, 2, "normal", "cpu")[0])


def test_weights_are_shared_when_the_candidate_has_the_same_parameters():
    problem = _problem("linear_gelu_scale")

    class ModelNew(nn.Module):
        def __init__(self, in_features, out_features, scale):
            super().__init__()
            self.linear = nn.Linear(in_features, out_features)
            self.scale = scale
            nn.init.zeros_(self.linear.weight)  # would be wrong unless the reference weights are copied in

        def forward(self, x):
            return torch.nn.functional.gelu(self.linear(x)) * self.scale + 1.0

    assert _check(problem, ModelNew, _FAST).correct


def test_tolerance_depends_on_dtype():
    assert tolerance_for(torch.float32) == 1e-4
    assert tolerance_for(torch.float16) == tolerance_for(torch.bfloat16) == 1e-2
    assert tolerance_for(torch.int64) == 0.0


def test_fp16_problem_accepts_fp16_rounding_but_fp32_problem_does_not():
    half = _problem("tanh_fp16")

    class RoughTanh(nn.Module):
        def forward(self, x):
            return (torch.tanh(x.float()) * (1 + 2e-3)).half()

    assert _check(half, RoughTanh, _FAST).correct
    relu = _problem("relu")

    class RoughRelu(nn.Module):
        def forward(self, x):
            return torch.relu(x) * (1 + 2e-3)

    report = _check(relu, RoughRelu, _FAST)
    assert not report.correct and "atol=rtol=0.0001" in report.reason


def test_wrong_dtype_shape_or_type_is_reported():
    relu = _problem("relu")

    class Double(nn.Module):
        def forward(self, x):
            return torch.relu(x).double()

    class Flat(nn.Module):
        def forward(self, x):
            return torch.relu(x).flatten()

    class Listed(nn.Module):
        def forward(self, x):
            return [torch.relu(x)]

    assert "dtype" in _check(relu, Double, _FAST).reason
    assert "shape" in _check(relu, Flat, _FAST).reason
    assert "plain torch.Tensor" in _check(relu, Listed, _FAST).reason


def test_nan_where_the_reference_is_finite_fails():
    relu = _problem("relu")

    class Nan(nn.Module):
        def forward(self, x):
            out = torch.relu(x)
            out[0, 0] = float("nan")
            return out

    assert "NaN/Inf" in _check(relu, Nan, _FAST).reason


def test_candidate_exceptions_are_data_with_the_stage():
    relu = _problem("relu")

    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("kernel launch failed")

    class BadInit(nn.Module):
        def __init__(self, *args):
            raise ValueError("no")

    report = _check(relu, Boom, _FAST)
    assert (report.correct, report.failure) == (False, "runtime") and "kernel launch failed" in report.feedback
    assert _check(relu, BadInit, _FAST).failure == "runtime"


def test_both_run_orders_are_used():
    relu = _problem("relu")
    orders: list[str] = []
    reference_calls = {"n": 0}

    class Reference(relu.Model):
        def forward(self, x):
            reference_calls["n"] += 1
            return super().forward(x)

    class Spy(nn.Module):
        def forward(self, x):
            orders.append("candidate-first" if reference_calls["n"] == len(orders) else "reference-first")
            return torch.relu(x)

    check_correctness(Reference, Spy, relu.get_inputs, relu.get_init_inputs, _FAST)
    assert {"candidate-first", "reference-first"} <= set(orders)


def test_candidate_sees_its_own_clone_of_the_inputs():
    relu = _problem("relu")
    seen: list[torch.Tensor] = []

    class Reference(relu.Model):
        def forward(self, x):
            seen.append(x)
            return super().forward(x)

    class Candidate(nn.Module):
        def forward(self, x):
            assert all(x.data_ptr() != other.data_ptr() for other in seen)
            return torch.relu(x)

    assert check_correctness(Reference, Candidate, relu.get_inputs, relu.get_init_inputs, _FAST).correct


def test_a_candidate_mirroring_the_references_in_place_update_is_accepted():
    class InPlace(nn.Module):
        def forward(self, x):
            return x.mul_(2)

    def get_inputs():
        return [torch.randn(4, 8)]

    report = check_correctness(InPlace, InPlace, get_inputs, list, _FAST)
    assert report.correct, report.feedback


def test_shape_variants_change_the_batch_and_keep_integer_ranges():
    varied = vary_batch([torch.zeros(16, 4), torch.tensor([5] * 16), 3])
    assert varied[0].shape == (9, 4) and varied[1].shape == (9,) and int(varied[1].max()) == 5 and varied[2] == 3


def test_shape_variants_also_grow_the_batch():
    grown = vary_batch([torch.zeros(16, 4), torch.tensor([5] * 16), 3], grow=True)
    assert grown[0].shape == (25, 4) and grown[1].shape == (25,) and int(grown[1].max()) == 5


def test_the_problems_own_inputs_reference_first_and_no_input_check_as_kernelbench_does():
    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    class InPlaceDoubler(nn.Module):
        def forward(self, x):
            return x.mul_(2)

    def get_inputs():
        return [torch.full((4, 8), 3.0)]  # a distribution of its own: polca's would replace it

    kernelbench = CorrectnessConfig(seeds=(0, 1), distributions=("problem",), shape_variants=False,
                                    alternate_order=False, check_inputs=False)
    report = check_correctness(Doubler, InPlaceDoubler, get_inputs, list, kernelbench)
    assert report.correct and report.trials == 2, report.feedback
    strict = check_correctness(Doubler, InPlaceDoubler, get_inputs, list, _FAST)
    assert (strict.failure, strict.check) == ("mismatch", "inputs")


def test_references_that_reject_another_batch_skip_the_shape_check():
    class FixedBatch(nn.Module):
        def forward(self, x):
            return x.reshape(16, 4) * 2

    def get_inputs():
        return [torch.randn(16, 4)]

    assert check_correctness(FixedBatch, FixedBatch, get_inputs, list, CorrectnessConfig(seeds=(0,))).correct


def test_trials_with_a_non_finite_reference_are_skipped():
    class Log(nn.Module):
        def forward(self, x):
            return torch.log(x)

    def get_inputs():
        return [torch.rand(8, 8) + 0.1]

    report = check_correctness(Log, Log, get_inputs, list, CorrectnessConfig(seeds=(0,), shape_variants=False))
    assert report.correct and report.skipped_trials >= 1


@pytest.mark.parametrize(
    "kwargs", [{"seeds": ()}, {"distributions": ("gaussian",)}, {"distributions": ()}, {"device": "tpu"}]
)
def test_bad_config_raises_with_the_rule(kwargs):
    with pytest.raises(ValueError, match="CorrectnessConfig"):
        CorrectnessConfig(**kwargs)


@pytest.mark.gpu
def test_correctness_on_cuda():
    relu = _problem("relu")
    report = _check(relu, relu.Model, CorrectnessConfig(device="cuda"))
    assert report.correct, report.feedback
