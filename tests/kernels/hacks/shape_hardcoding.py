"""Hack (for 01_relu): assume the problem's exact shape (16 x 4096), so the kernel is simpler
and wrong for any other batch. Caught at run time by the changed-batch trial. The kernel is left
out so the runtime check can be tested without a compiler."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(16 * 4096)
        return ((flat > 0) * flat).reshape(16, 4096)
