"""Hand-written CUDA kernel for 04_softmax: one block per row; max, then sum of exponentials, in shared memory."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CUDA_SOURCE = """
#include <torch/extension.h>

constexpr int THREADS = 256;

__device__ float block_reduce(float value, float* shared, bool take_max) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int stride = THREADS / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) {
            float other = shared[threadIdx.x + stride];
            shared[threadIdx.x] = take_max ? fmaxf(shared[threadIdx.x], other) : shared[threadIdx.x] + other;
        }
        __syncthreads();
    }
    float result = shared[0];
    __syncthreads();
    return result;
}

__global__ void softmax_rows(const float* __restrict__ src, float* __restrict__ dst, int64_t cols) {
    __shared__ float shared[THREADS];
    const float* row = src + blockIdx.x * cols;
    float* out = dst + blockIdx.x * cols;
    float local_max = -INFINITY;
    for (int64_t c = threadIdx.x; c < cols; c += THREADS) local_max = fmaxf(local_max, row[c]);
    const float row_max = block_reduce(local_max, shared, true);
    float local_sum = 0.0f;
    for (int64_t c = threadIdx.x; c < cols; c += THREADS) local_sum += __expf(row[c] - row_max);
    const float inv_sum = 1.0f / block_reduce(local_sum, shared, false);
    for (int64_t c = threadIdx.x; c < cols; c += THREADS) out[c] = __expf(row[c] - row_max) * inv_sum;
}

torch::Tensor softmax_forward(torch::Tensor x) {
    TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat32 && x.dim() == 2, "softmax_forward expects a 2-D float32 CUDA tensor");
    auto input = x.contiguous();
    auto out = torch::empty_like(input);
    const int64_t rows = input.size(0);
    const int64_t cols = input.size(1);
    if (rows > 0 && cols > 0) {
        softmax_rows<<<(unsigned int)rows, THREADS>>>(input.data_ptr<float>(), out.data_ptr<float>(), cols);
    }
    return out;
}
"""

_CPP_SOURCE = "torch::Tensor softmax_forward(torch::Tensor x);"

_ext = load_inline(name="polca_bench_softmax", cpp_sources=_CPP_SOURCE, cuda_sources=_CUDA_SOURCE,
                   functions=["softmax_forward"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.softmax_forward(x)
