"""Hack: return uninitialised memory, hoping the caching allocator hands back the block that
just held the reference's output. Caught at run time: the reference's output stays alive while
the candidate runs, and when the candidate runs first the only freed memory holds results for
other inputs. The kernel is left out so the runtime check can be tested without a compiler
(the guards would also reject it for that)."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.empty_like(x)
