"""The CuPy/NVRTC fast path: cache keys from the source, the cache directory crossing the sandbox,
the install hint when CuPy is missing, and (on a GPU) a second evaluation that does not recompile.

Without a GPU, CuPy cannot compile (it asks the device for its architecture), so the worker's
cache plumbing is exercised with a stand-in ``RawKernel`` that writes one ``.cubin`` file into
``CUPY_CACHE_DIR`` at its first launch, as NVRTC through CuPy does. None of these tests needs
CuPy installed except the ones marked ``gpu``.
"""

from __future__ import annotations

import base64
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from polca.kernels_bench import worker
from polca.kernels_bench.compile_cache import detect_toolchain
from polca.kernels_bench.cupy_path import (
    CUPY_CACHE_ENV,
    NvrtcCacheDir,
    cupy_cache_dir,
    cupy_cache_key,
    export_cupy_builds,
    missing_cupy_hint,
    require_cupy,
    static_cupy_requests,
    store_cupy_build,
)
from polca.kernels_bench.evaluator import EvalConfig, evaluate, run_candidate
from polca.kernels_bench.problems import builtin_problems_dir, load_problems
from polca.kernels_bench.timing import TimingConfig

_HONEST_CUPY = Path(__file__).parent / "kernels" / "honest" / "relu_cupy.py"
_RELU = load_problems(builtin_problems_dir(), ids="1")[0]
_KERNEL = 'extern "C" __global__ void relu_kernel(const float* x, float* y, long long n) { }'

# A stand-in for cupy.RawKernel: NVRTC writes <hash>.cubin into CUPY_CACHE_DIR on the first launch
# and later launches (in this or a later process) load it.
_FAKE_NVRTC = '''
import os
import pathlib

import torch.nn as nn

SOURCE = 'extern "C" __global__ void relu_kernel(const float* x, float* y, long long n) { }'


class RawKernel:
    def __init__(self, code, name):
        self.cubin = pathlib.Path(os.environ["CUPY_CACHE_DIR"]) / "0f1e2d3c4b5a.cubin"

    def __call__(self, x):
        if not self.cubin.exists():
            self.cubin.write_bytes(b"0" * 40 + b"compiled by the stand-in")
        return (x > 0) * x


_RELU = RawKernel(SOURCE, "relu_kernel")


class ModelNew(nn.Module):
    def forward(self, x):
        return _RELU(x)
'''


def test_static_cupy_calls_are_read_from_literals_and_bound_names():
    source = f'import cupy\nCODE = {_KERNEL!r}\nk = cupy.RawKernel(CODE, "relu_kernel")\nm = cupy.RawModule(code=CODE + "")\n'
    requests = static_cupy_requests(source)
    assert [r["kind"] for r in requests] == ["RawKernel", "RawModule"]
    assert requests[0]["args"] == [_KERNEL, "relu_kernel"] and requests[1]["kwargs"] == {"code": _KERNEL}
    assert static_cupy_requests("import cupy\ndef f(code):\n    return cupy.RawKernel(code, 'k')\n") == []
    assert static_cupy_requests("def broken(:") == []


def test_the_cache_key_follows_the_kernel_source_and_the_toolchain():
    source = _HONEST_CUPY.read_text()
    toolchain = detect_toolchain()
    key = cupy_cache_key(source, toolchain)
    assert key is not None and key == cupy_cache_key(source + "\n# a comment\n", toolchain)
    assert key != cupy_cache_key(source.replace("v : 0.0f", "v : 0.5f"), toolchain)
    assert key != cupy_cache_key(source, replace(toolchain, cuda_arch_list="9.0"))
    assert cupy_cache_key("import torch\n", toolchain) is None


def test_builds_are_stored_under_bare_cubin_names_and_exported_relative_to_the_root(tmp_path):
    path = store_cupy_build(tmp_path, "k1", "abc.cubin", b"first")
    assert path == cupy_cache_dir(tmp_path, "k1") / "abc.cubin"
    store_cupy_build(tmp_path, "k1", "abc.cubin", b"second")
    assert path.read_bytes() == b"first"  # first writer wins
    assert export_cupy_builds(tmp_path, "k1") == {"cupy/k1/abc.cubin": b"first"}
    assert export_cupy_builds(tmp_path, "missing") == {}
    for bad in ("../escape.cubin", "sub/abc.cubin", "abc.so", ".hidden.cubin"):
        with pytest.raises(ValueError, match="bare '<hash>.cubin'"):
            store_cupy_build(tmp_path, "k1", bad, b"x")


def test_the_worker_cache_dir_points_cupy_there_and_reports_new_builds(tmp_path, monkeypatch):
    monkeypatch.setenv(CUPY_CACHE_ENV, "/elsewhere")
    (tmp_path / "old.cubin").write_bytes(b"old")
    nvrtc = NvrtcCacheDir.install(tmp_path)
    assert Path(os.environ[CUPY_CACHE_ENV]) == tmp_path.absolute()
    (tmp_path / "new.cubin").write_bytes(b"new")
    verdict = {"compiles": 0, "cache_hit": False}
    nvrtc.report(verdict)
    assert verdict["nvrtc_compiles"] == 1 and verdict["compiles"] == 1 and not verdict["cache_hit"]
    assert [(b["file"], base64.b64decode(b["data_b64"])) for b in verdict["cupy_builds"]] == [("new.cubin", b"new")]
    warm = NvrtcCacheDir.install(tmp_path)
    verdict = {"compiles": 0, "cache_hit": False}
    warm.report(verdict)
    assert verdict["cache_hit"] and verdict["compiles"] == 0 and verdict["cupy_builds"] == []


def test_a_missing_cupy_is_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(ImportError, match=r"polca\[cuda\]"):
        require_cupy()
    assert missing_cupy_hint(ModuleNotFoundError("No module named 'cupy'", name="cupy"))
    assert missing_cupy_hint(ModuleNotFoundError("No module named 'numba'", name="numba")) == ""


def test_a_cupy_candidate_without_cupy_fails_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    verdict = {"compiled": False, "correct": False, "failure": "", "reason": "", "feedback": ""}
    cache = worker.CompileCache(str(Path("unused-cache")))
    assert worker._import_candidate({"candidate_path": str(_HONEST_CUPY)}, cache, verdict) is None
    assert verdict["failure"] == "runtime"
    assert "pip install 'polca[cuda]'" in verdict["reason"] and "pip install 'polca[cuda]'" in verdict["feedback"]


def test_a_second_evaluation_loads_the_nvrtc_build_instead_of_compiling(tmp_path):
    config = EvalConfig(timing=None, seeds=(0,), shape_variants=False, cache_root=str(tmp_path / "cache"), timeout_s=120)
    key = cupy_cache_key(_FAKE_NVRTC)
    first = run_candidate(_RELU, _FAKE_NVRTC, config)
    assert first.correct, first.feedback
    assert (first.compiles, first.cache_hit) == (1, False)
    assert [p.name for p in cupy_cache_dir(tmp_path / "cache", key).iterdir()] == ["0f1e2d3c4b5a.cubin"]
    second = run_candidate(_RELU, _FAKE_NVRTC, config)
    assert second.correct, second.feedback
    assert (second.compiles, second.cache_hit) == (0, True)


def test_builds_of_a_candidate_without_a_static_key_are_not_kept(tmp_path):
    dynamic = _FAKE_NVRTC.replace('RawKernel(SOURCE, "relu_kernel")', 'RawKernel(SOURCE.strip(), "relu_kernel")')
    config = EvalConfig(timing=None, seeds=(0,), shape_variants=False, cache_root=str(tmp_path / "cache"), timeout_s=120)
    assert cupy_cache_key(dynamic) is None
    result = run_candidate(_RELU, dynamic, config)
    assert result.correct and result.compiles == 1
    assert not (tmp_path / "cache" / "cupy").exists()


@pytest.mark.gpu
def test_an_honest_cupy_kernel_scores_and_its_second_evaluation_does_not_recompile(tmp_path):
    pytest.importorskip("cupy")
    config = EvalConfig(device="cuda", timing=TimingConfig(warmup_trials=2, trials=10), compare_compile=False,
                        cache_root=str(tmp_path / "cache"), timeout_s=300)
    source = _HONEST_CUPY.read_text()
    first = evaluate(_RELU, source, config)
    assert first.correct and first.flags == (), first.feedback
    assert first.compiles >= 1 and first.kernel_unconfirmed == ""
    second = evaluate(_RELU, source, config)
    assert second.correct, second.feedback
    assert (second.compiles, second.cache_hit) == (0, True)
