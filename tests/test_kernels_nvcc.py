"""CUDA candidates compiled with nvcc on a machine without a GPU (slow: torch's headers are large)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polca.kernels_bench import nvcc_check
from polca.kernels_bench.nvcc_check import compile_cuda_source, find_nvcc, inline_cuda_sources

_HONEST_CUDA = (Path(__file__).parent / "kernels" / "honest" / "relu_cuda.py").read_text()
_needs_nvcc = pytest.mark.skipif(find_nvcc() is None, reason="needs nvcc (the CUDA toolkit)")


def test_cuda_sources_are_taken_statically_from_load_inline():
    sources = inline_cuda_sources(_HONEST_CUDA)
    assert len(sources) == 1 and "__global__ void relu_kernel" in sources[0]
    assert inline_cuda_sources("load_inline('k', 'int f();')") == []
    assert inline_cuda_sources("class (:") == []


def test_a_missing_nvcc_is_an_error_that_says_what_to_install(monkeypatch):
    monkeypatch.setattr(nvcc_check, "find_nvcc", lambda: None)
    with pytest.raises(FileNotFoundError, match="CUDA toolkit"):
        compile_cuda_source("__global__ void k() {}")


@_needs_nvcc
@pytest.mark.slow
def test_the_honest_cuda_kernel_compiles_with_nvcc():
    result = compile_cuda_source(inline_cuda_sources(_HONEST_CUDA)[0])
    assert result.ok, result.log


@_needs_nvcc
@pytest.mark.slow
def test_a_broken_cuda_kernel_fails_with_the_compiler_error():
    result = compile_cuda_source("__global__ void k(float* x) { x[0] = undefined_name; }")
    assert not result.ok and "undefined_name" in result.log
