"""Hack: launch the kernel on a side stream so a timer that only waits on the default stream
stops early. Caught statically (and defeated at run time by the device-wide synchronize)."""

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

_stream = torch.cuda.Stream()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.cuda.stream(_stream):
            return _ext.relu_forward(x)
