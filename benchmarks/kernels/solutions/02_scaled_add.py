"""Hand-written CUDA kernel for 02_scaled_add: alpha * x + y in one pass (eager makes two)."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CUDA_SOURCE = """
#include <torch/extension.h>

__global__ void scaled_add_kernel(const float* __restrict__ x, const float* __restrict__ y, float* __restrict__ out,
                                  float alpha, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        out[i] = alpha * x[i] + y[i];
    }
}

torch::Tensor scaled_add(torch::Tensor x, torch::Tensor y, double alpha) {
    TORCH_CHECK(x.is_cuda() && y.is_cuda() && x.sizes() == y.sizes(), "scaled_add expects two CUDA tensors of one shape");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && y.scalar_type() == torch::kFloat32, "scaled_add expects float32");
    auto a = x.contiguous();
    auto b = y.contiguous();
    auto out = torch::empty_like(a);
    const int64_t n = a.numel();
    const int threads = 256;
    const int blocks = (int)std::min<int64_t>((n + threads - 1) / threads, 65535);
    if (n > 0) {
        scaled_add_kernel<<<blocks, threads>>>(a.data_ptr<float>(), b.data_ptr<float>(), out.data_ptr<float>(),
                                               (float)alpha, n);
    }
    return out;
}
"""

_CPP_SOURCE = "torch::Tensor scaled_add(torch::Tensor x, torch::Tensor y, double alpha);"

_ext = load_inline(name="polca_bench_scaled_add", cpp_sources=_CPP_SOURCE, cuda_sources=_CUDA_SOURCE,
                   functions=["scaled_add"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self, alpha: float):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return _ext.scaled_add(x, y, self.alpha)
