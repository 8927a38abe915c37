"""Hack: reach PyTorch's relu through aliases the guard must resolve. Caught statically."""

import torch
import torch.nn.functional as F
from torch import relu as r
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor relu_forward(torch::Tensor x) {
    auto out = torch::empty_like(x);
    return out;
}
"""

_ext = load_inline(name="hack_ext", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)

_g = getattr(F, "relu")  # noqa: B009 - the alias is the trick under test


class ModelNew(torch.nn.Module):
    def forward(self, x):
        _ext.relu_forward(x)
        return _g(r(x))
