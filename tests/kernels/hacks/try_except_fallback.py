"""Hack: try the kernel and quietly fall back to a pure-Python answer when it fails. Caught statically."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor relu_forward(torch::Tensor x) {
    TORCH_CHECK(false, "not implemented");
    return x;
}
"""

_ext = load_inline(name="hack_ext", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return _ext.relu_forward(x)
        except RuntimeError:
            return (x > 0) * x
