"""Hostile: a CUDA kernel is defined and the guards see forward reach the extension, but the
extension's host function hands the work to ATen (``at::_ops::relu::call``), so only PyTorch's
own kernel runs. The guards catch this spelling; a disguised one (a function pointer, a
macro) only the profiler sees, which is what this fixture is for, run without the guards."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CUDA_SOURCE = """
#include <torch/extension.h>

__global__ void relu_kernel(const float* __restrict__ src, float* __restrict__ dst, int64_t n) {
    int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (i < n) {
        dst[i] = src[i] > 0.0f ? src[i] : 0.0f;
    }
}

torch::Tensor relu_forward(torch::Tensor x) {
    return at::_ops::relu::call(x);
}
"""

_CPP_SOURCE = "torch::Tensor relu_forward(torch::Tensor x);"

_ext = load_inline(
    name="polca_test_library_only",
    cpp_sources=_CPP_SOURCE,
    cuda_sources=_CUDA_SOURCE,
    functions=["relu_forward"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)
