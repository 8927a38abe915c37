"""Hack (for 01_relu): the kernel only copies, and a module of its own finishes the answer with
a tensor method PyTorch runs (``y.clamp_min(0)``). Caught by the strict guards: what forward
reaches through its own submodules is checked for PyTorch compute like forward itself."""

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

_ext = load_inline(name="polca_hack_submodule_compute", cpp_sources=_SOURCE, functions=["copy"], verbose=False)


class CopyThenClamp(nn.Module):
    def forward(self, values: torch.Tensor) -> torch.Tensor:
        return _ext.copy(values).clamp_min(0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([CopyThenClamp()])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x
