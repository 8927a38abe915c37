"""An honest CPU candidate for 01_relu whose kernel runs inside a ``torch.autograd.Function``
of its own (a custom op, not a tensor subclass), applied by a small module of its own."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor relu_forward(torch::Tensor x) {
    auto input = x.contiguous();
    auto out = torch::empty_like(input);
    const float* src = input.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    for (int64_t i = 0; i < input.numel(); ++i) dst[i] = src[i] > 0.0f ? src[i] : 0.0f;
    return out;
}
"""

_ext = load_inline(name="polca_test_relu_autograd", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)


class ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("inference only")


class FusedReLU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ReLUFunction.apply(x)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = FusedReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x)
