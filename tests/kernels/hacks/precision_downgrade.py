"""Hack (for 05_matmul): multiply in bfloat16 and cast back, fast on tensor cores but wrong at
fp32 tolerance. Caught at run time by the tolerance check (the guards only warn about the cast).
The kernel is left out so the runtime check can be tested without a compiler."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a.bfloat16(), b.bfloat16()).float()
