"""Hand-written CUDA kernel for 03_row_sum: one warp per row of the last dimension, shuffles to reduce."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CUDA_SOURCE = """
#include <torch/extension.h>

__global__ void row_sum_kernel(const float* __restrict__ src, float* __restrict__ dst, int64_t rows, int64_t cols) {
    const int64_t warp = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (warp >= rows) return;
    const float* row = src + warp * cols;
    float acc = 0.0f;
    for (int64_t c = lane; c < cols; c += 32) acc += row[c];
    for (int offset = 16; offset > 0; offset /= 2) acc += __shfl_down_sync(0xffffffff, acc, offset);
    if (lane == 0) dst[warp] = acc;
}

torch::Tensor row_sum(torch::Tensor x, int64_t dim) {
    TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat32, "row_sum expects a float32 CUDA tensor");
    const int64_t last = x.dim() - 1;
    TORCH_CHECK(dim == last || dim == -1, "row_sum reduces the last dimension only");
    auto input = x.contiguous();
    auto sizes = input.sizes().vec();
    const int64_t cols = sizes.back();
    const int64_t rows = cols == 0 ? 0 : input.numel() / cols;
    sizes.back() = 1;
    auto out = torch::zeros(sizes, input.options());
    const int threads = 256;
    const int64_t blocks = (rows * 32 + threads - 1) / threads;
    if (rows > 0) {
        row_sum_kernel<<<(unsigned int)blocks, threads>>>(input.data_ptr<float>(), out.data_ptr<float>(), rows, cols);
    }
    return out;
}
"""

_CPP_SOURCE = "torch::Tensor row_sum(torch::Tensor x, int64_t dim);"

_ext = load_inline(name="polca_bench_row_sum", cpp_sources=_CPP_SOURCE, cuda_sources=_CUDA_SOURCE,
                   functions=["row_sum"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = int(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.row_sum(x, self.dim)
