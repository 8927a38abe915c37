"""Reduction: sum over the last dimension, keeping it."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim, keepdim=True)


batch_size = 16
rows = 64
cols = 512


def get_inputs():
    return [torch.randn(batch_size, rows, cols)]


def get_init_inputs():
    return [2]
