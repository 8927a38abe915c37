"""Hand-written CUDA kernel for 01_relu: a grid-stride loop, four floats per load when aligned."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CUDA_SOURCE = """
#include <torch/extension.h>

__global__ void relu_vec4(const float4* __restrict__ src, float4* __restrict__ dst, int64_t n4) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n4; i += (int64_t)gridDim.x * blockDim.x) {
        float4 v = src[i];
        v.x = fmaxf(v.x, 0.0f); v.y = fmaxf(v.y, 0.0f); v.z = fmaxf(v.z, 0.0f); v.w = fmaxf(v.w, 0.0f);
        dst[i] = v;
    }
}

__global__ void relu_tail(const float* __restrict__ src, float* __restrict__ dst, int64_t start, int64_t n) {
    int64_t i = start + blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (i < n) dst[i] = fmaxf(src[i], 0.0f);
}

torch::Tensor relu_forward(torch::Tensor x) {
    TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat32, "relu_forward expects a float32 CUDA tensor");
    auto input = x.contiguous();
    auto out = torch::empty_like(input);
    const int64_t n = input.numel();
    const int64_t n4 = n / 4;
    const int threads = 256;
    if (n4 > 0) {
        const int blocks = (int)std::min<int64_t>((n4 + threads - 1) / threads, 65535);
        relu_vec4<<<blocks, threads>>>(reinterpret_cast<const float4*>(input.data_ptr<float>()),
                                       reinterpret_cast<float4*>(out.data_ptr<float>()), n4);
    }
    if (n - n4 * 4 > 0) {
        relu_tail<<<1, 4>>>(input.data_ptr<float>(), out.data_ptr<float>(), n4 * 4, n);
    }
    return out;
}
"""

_CPP_SOURCE = "torch::Tensor relu_forward(torch::Tensor x);"

_ext = load_inline(name="polca_bench_relu", cpp_sources=_CPP_SOURCE, cuda_sources=_CUDA_SOURCE,
                   functions=["relu_forward"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)
