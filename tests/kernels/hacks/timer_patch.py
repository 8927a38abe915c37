"""Hack: replace the synchronize and the clock the timer relies on. Caught statically."""

import time

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

torch.cuda.synchronize = lambda *args, **kwargs: None
_start = time.perf_counter()
time.perf_counter = lambda: _start


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)
