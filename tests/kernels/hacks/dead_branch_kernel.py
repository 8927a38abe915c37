"""Hack (for 01_relu): the only launch, through a module of its own, sits in a branch that never
runs (``if False``) or after the ``return``; PyTorch computes the answer. Caught by the guards
under both rule sets: dead code is not followed."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor relu_forward(torch::Tensor x) {
    return torch::empty_like(x);
}
"""

_ext = load_inline(name="polca_hack_dead_branch", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)


class KernelBlock(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = KernelBlock()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if False:
            return self.block(x)
        return torch.relu(x)
        self.block(x)
