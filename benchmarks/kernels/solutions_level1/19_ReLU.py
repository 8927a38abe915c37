"""Hand-written CUDA kernel for KernelBench level 1 problem 19_ReLU (polca's own code, not KernelBench's):
a grid-stride loop with 64-bit indices (the problem's input holds 1.6 G values), float32 only."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CUDA_SOURCE = """
#include <torch/extension.h>

__global__ void relu_kernel(const float* __restrict__ src, float* __restrict__ dst, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const float v = src[i];
        dst[i] = fmaxf(v, 0.0f);
    }
}

torch::Tensor relu_forward(torch::Tensor x) {
    TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat32, "relu_forward expects a float32 CUDA tensor");
    auto input = x.contiguous();
    auto out = torch::empty_like(input);
    const int64_t n = input.numel();
    const int threads = 256;
    const int blocks = (int)std::min<int64_t>((n + threads - 1) / threads, 65535 * 8);
    if (n > 0) {
        relu_kernel<<<blocks, threads>>>(input.data_ptr<float>(), out.data_ptr<float>(), n);
    }
    return out;
}
"""

_CPP_SOURCE = "torch::Tensor relu_forward(torch::Tensor x);"

_ext = load_inline(name="polca_level1_relu", cpp_sources=_CPP_SOURCE, cuda_sources=_CUDA_SOURCE,
                   functions=["relu_forward"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)
