"""Hack: remember outputs keyed on the input's address and return them when it comes again.
Caught statically (and defeated at run time by fresh inputs per trial)."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor relu_forward(torch::Tensor x) {
    auto out = torch::empty_like(x);
    return out;
}
"""

_ext = load_inline(name="hack_ext", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.cache = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key = x.data_ptr()
        if key not in self.cache:
            self.cache[key] = _ext.relu_forward(x)
        return self.cache[key]
