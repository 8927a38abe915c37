"""Hack (for 01_relu): handle at most the problem's batch (16 rows) and leave any further rows
untouched, the CPU image of a kernel whose grid is hard-coded for the problem's size: on a GPU
its out-of-bounds work can pass when the memory happens to hold the answer. Right for the
problem's batch and for any smaller one, so only a LARGER batch catches it. The kernel is left
out so the runtime check can be tested without a compiler."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(x)
        head = x[:16]
        out[:16] = head * (head > 0)
        return out
