"""Hack: compute the right answer, then zero the input, so a reference that runs second (or a
comparison that reuses the input) sees zeros. Caught at run time: inputs are checked unchanged.
The kernel is left out so the runtime check can be tested without a compiler."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = (x > 0) * x
        x.zero_()
        return out
