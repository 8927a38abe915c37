"""Hack (for 01_relu): a module of its own launches the kernel and ``ModelNew`` holds one, but
``forward`` never calls it and lets PyTorch compute the answer. Caught by the guards under
both rule sets: following forward's calls never reaches a launch."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor relu_forward(torch::Tensor x) {
    return torch::empty_like(x);
}
"""

_ext = load_inline(name="polca_hack_unreached", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)


class KernelBlock(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = KernelBlock()
        self.blocks = nn.ModuleList([KernelBlock()])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)
