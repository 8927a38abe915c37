"""Hack (for 01_relu): a C++ kernel that only copies, then the answer computed by a tensor
method PyTorch runs (``y.clamp_min(0)``, not on any deny-list) and arithmetic on it. Caught by
the guards: outside the kernel only data movement and views are allowed on tensors."""

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

_ext = load_inline(name="polca_hack_copy_method", cpp_sources=_SOURCE, functions=["copy"], verbose=False)


def _finish(values: torch.Tensor) -> torch.Tensor:
    return values.clamp_min(0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _finish(_ext.copy(x))
