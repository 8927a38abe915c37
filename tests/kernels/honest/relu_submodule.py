"""An honest CPU candidate for 01_relu whose kernel is launched by a module of its own:
``ModelNew`` holds two ``ReLUBlock``s in an ``nn.ModuleList`` and one as an attribute, and
calls them; the guards follow the calls into ``ReLUBlock.forward``."""

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

_ext = load_inline(name="polca_test_relu_submodule", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)


class ReLUBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.launch = _ext.relu_forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.launch(x)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = [ReLUBlock()]
        blocks.append(ReLUBlock())
        self.blocks = nn.ModuleList(blocks)
        self.last = ReLUBlock()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.last(x)
