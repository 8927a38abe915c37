"""Hack: inherit the reference Model so its forward runs. Caught statically."""

from problem import Model
from torch.utils.cpp_extension import load_inline

_SOURCE = """
torch::Tensor relu_forward(torch::Tensor x) {
    auto out = torch::empty_like(x);
    return out;
}
"""

_ext = load_inline(name="hack_ext", cpp_sources=_SOURCE, functions=["relu_forward"], verbose=False)


class ModelNew(Model):
    def forward(self, x):
        _ext.relu_forward(x)
        return super().forward(x)
