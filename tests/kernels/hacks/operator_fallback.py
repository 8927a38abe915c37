"""Hack (for 01_relu): a C++ kernel that only copies, then the ReLU done by Python operators on
the result (``y * (y > 0)``), which PyTorch computes. Caught by the guards: operators applied to
tensors in what forward runs are PyTorch compute."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor copy(torch::Tensor x) {
    auto input = x.contiguous();
    auto out = torch::empty_like(input);
    const float* src = input.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    for (int64_t i = 0; i < input.numel(); ++i) dst[i] = src[i];
    return out;
}
"""

_ext = load_inline(name="polca_hack_copy_ops", cpp_sources=_SOURCE, functions=["copy"], verbose=False)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = _ext.copy(x)
        return y * (y > 0)
