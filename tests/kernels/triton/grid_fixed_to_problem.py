"""Hack (for 01_relu), in Triton: the launch grid is computed from the problem's own size
(16 x 4096) instead of the input's, so a larger batch leaves the tail of the output unwritten
(uninitialised memory). Passes the problem's batch and any smaller one; the larger batch
variant catches it."""

import torch
import torch.nn as nn
import triton
import triton.language as tl

_PROBLEM_ELEMENTS = 16 * 4096


@triton.jit
def relu_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    values = tl.load(src_ptr + offsets, mask=mask)
    tl.store(dst_ptr + offsets, tl.where(values > 0, values, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        out = torch.empty_like(x)
        n = min(x.numel(), _PROBLEM_ELEMENTS)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
