"""--shrink: a problem's module-level size constants scaled down so it runs on a CPU."""

from __future__ import annotations

import pytest
import torch

from polca.kernels_bench.problems import import_source, read_problem
from polca.kernels_bench.shrink import (
    problem_elements,
    shrink_problem,
    shrink_source,
    size_constants,
)

# KernelBench level-1 style: a 6.4 GB input at the file's own sizes.
_BIG_RELU = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


batch_size = 4096
dim = 393216


def get_inputs():
    x = torch.rand(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
"""

_BIG_LINEAR = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_features, out_features, kernel_size):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.kernel_size = kernel_size

    def forward(self, x):
        return self.linear(x)


batch_size = 1024
in_features = 8192
out_features = in_features * 2
kernel_size = 3
scale = 0.5


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, kernel_size]
"""


def test_size_constants_are_top_level_integer_literals():
    assert size_constants(_BIG_LINEAR) == {"batch_size": 1024, "in_features": 8192, "kernel_size": 3}
    assert size_constants("N = 2 ** 20\nM = 4 * 1024\nK = N\nname = 'x'\n") == {"N": 1 << 20, "M": 4096}
    assert size_constants("shape = (32768,)\nhidden = [4096, 2048]\n") == {"shape[0]": 32768, "hidden[0]": 4096,
                                                                         "hidden[1]": 2048}


def test_tuple_and_list_sizes_shrink_too():
    source = _BIG_LINEAR.replace("in_features = 8192", "in_features = 8192\nshape = (8192,)").replace(
        "torch.randn(batch_size, in_features)", "torch.randn(batch_size, *shape)")
    shrunk = shrink_source(source, max_elements=1 << 18)
    assert size_constants(shrunk)["shape[0]"] < 8192 and problem_elements(shrunk) <= 1 << 18


def test_sizes_are_measured_on_the_meta_device_without_allocating():
    assert problem_elements(_BIG_RELU) == 4096 * 393216  # 6.4 GB of float32, measured for free


def test_shrinking_halves_the_largest_constants_until_the_problem_fits():
    shrunk = shrink_source(_BIG_LINEAR, max_elements=1 << 18)
    constants = size_constants(shrunk)
    assert problem_elements(shrunk) <= 1 << 18
    assert constants["kernel_size"] == 3  # small constants are not sizes to shrink
    assert constants["in_features"] < 8192 and "out_features = in_features * 2" in shrunk


def test_a_shrunk_problem_is_marked_and_its_reference_runs(tmp_path):
    path = tmp_path / "19_ReLU.py"
    path.write_text(_BIG_RELU)
    problem = shrink_problem(read_problem(path, level=1))
    assert problem.shrunk and problem.key == "level1/19_ReLU" and problem.path == path
    module = import_source(problem.source, "shrunk_relu")
    (x,) = module.get_inputs()
    assert x.numel() <= 1 << 20
    assert torch.equal(module.Model()(x), torch.relu(x))


def test_a_problem_that_cannot_fit_says_so():
    with pytest.raises(ValueError, match="cannot be shrunk"):
        shrink_source(_BIG_RELU.replace("batch_size = 4096\ndim = 393216", "batch_size = 16\ndim = 16"),
                      max_elements=10)


def test_a_problem_that_fits_already_keeps_its_source():
    from polca.kernels_bench import builtin_problems_dir, load_problems

    problem = load_problems(builtin_problems_dir(), ids="1")[0]
    shrunk = shrink_problem(problem)
    assert shrunk.source == problem.source and shrunk.shrunk




_BROADCAST_LOSS = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, predictions, targets):
        return torch.mean(torch.clamp(1 - predictions * targets, min=0))


batch_size = 8192
input_shape = (8192,)


def get_inputs():
    return [torch.randn(batch_size, *input_shape), torch.randint(0, 2, (batch_size,)).float() * 2 - 1]


def get_init_inputs():
    return []
"""


def test_constants_that_were_equal_stay_equal_so_broadcasting_problems_still_run():
    shrunk = shrink_source(_BROADCAST_LOSS)
    constants = size_constants(shrunk)
    assert constants["batch_size"] == constants["input_shape[0]"] < 8192
    module = import_source(shrunk, "shrunk_loss")
    assert module.Model()(*module.get_inputs()).dim() == 0
