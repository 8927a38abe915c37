"""The compile cache: keyed by sources, options and toolchain; a second request never rebuilds.

The fast tests use counting fake builders. The real ones compile one small C++ CPU extension
once (module-scoped), then show that a second load in this process and a full evaluation in a
fresh worker process both reuse it without invoking the compiler.
"""

from __future__ import annotations

import dataclasses
import shutil
import types
from pathlib import Path

import pytest
import torch.utils.cpp_extension as cpp_extension
from polca.kernels_bench.compile_cache import (
    CompileCache,
    Toolchain,
    cache_key,
    default_cache_root,
    detect_toolchain,
)
from polca.kernels_bench.evaluator import EvalConfig, evaluate
from polca.kernels_bench.problems import builtin_problems_dir, import_source, load_problems
from polca.kernels_bench.timing import TimingConfig

_TOOLCHAIN = Toolchain("2.13.0", "", "c++ 12", "", "3.11", "Linux-x86_64", "")
_HONEST_CPP = Path(__file__).parent / "kernels" / "honest" / "relu_cpp.py"


class FakeBuilder:
    """Stands in for torch's load_inline: writes a module file into the build directory."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict] = []
        self.fail = fail

    def __call__(self, name, *sources, build_directory, **options):
        self.calls.append({"name": name, "sources": sources, "build_directory": build_directory, **options})
        if self.fail:
            raise RuntimeError("Error building extension 'k'")
        path = Path(build_directory) / f"{name}.so"
        path.write_text("built")
        return types.SimpleNamespace(__file__=str(path), origin="built")


def _fake_cache(root: Path, builder: FakeBuilder, toolchain: Toolchain = _TOOLCHAIN) -> CompileCache:
    def importer(name, path):
        return types.SimpleNamespace(__file__=str(path), origin="cache")

    return CompileCache(root, toolchain, builders={"load_inline": builder, "load": builder}, importer=importer)


def test_second_load_of_the_same_source_is_a_hit_without_a_build(tmp_path):
    builder = FakeBuilder()
    first = _fake_cache(tmp_path, builder).load_inline("k", "int f();", functions=["f"])
    again = _fake_cache(tmp_path, builder)  # a new process would start with a new cache object
    second = again.load_inline("k", "int f();", functions=["f"])
    assert len(builder.calls) == 1
    assert (first.origin, second.origin) == ("built", "cache")
    assert (again.stats.compiles, again.stats.hits) == (0, 1)


@pytest.mark.parametrize(
    "change",
    [{"cpp_sources": "int g();"}, {"cuda_sources": "__global__ void k() {}"}, {"extra_cflags": ["-O3"]},
     {"functions": ["f", "g"]}],
)
def test_changing_sources_or_options_rebuilds(tmp_path, change):
    builder = FakeBuilder()
    cache = _fake_cache(tmp_path, builder)
    cache.load_inline("k", "int f();", functions=["f"])
    arguments = {"cpp_sources": "int f();", "functions": ["f"], **change}
    cache.load_inline("k", **arguments)
    assert len(builder.calls) == 2


def test_a_different_toolchain_rebuilds(tmp_path):
    builder = FakeBuilder()
    _fake_cache(tmp_path, builder).load_inline("k", "int f();")
    newer = dataclasses.replace(_TOOLCHAIN, torch_version="2.14.0")
    _fake_cache(tmp_path, builder, newer).load_inline("k", "int f();")
    assert len(builder.calls) == 2


def test_the_key_ignores_options_that_do_not_change_the_binary():
    base = cache_key("load_inline", "k", {"cpp_sources": "x"}, {"functions": ["f"]}, _TOOLCHAIN)
    assert base == cache_key("load_inline", "k", {"cpp_sources": "x"}, {"functions": ["f"]}, _TOOLCHAIN)
    assert base != cache_key("load_inline", "k", {"cpp_sources": "y"}, {"functions": ["f"]}, _TOOLCHAIN)


def test_builds_go_under_the_cache_root_whatever_the_candidate_asks(tmp_path):
    builder = FakeBuilder()
    _fake_cache(tmp_path, builder).load_inline("k", "int f();", build_directory="/somewhere/else", verbose=True)
    assert Path(builder.calls[0]["build_directory"]).parent == tmp_path


def test_a_failed_build_is_counted_reraised_and_not_cached(tmp_path):
    failing = FakeBuilder(fail=True)
    cache = _fake_cache(tmp_path, failing)
    with pytest.raises(RuntimeError, match="Error building"):
        cache.load_inline("k", "int f(;")
    assert cache.stats.failed_builds == 1
    working = FakeBuilder()
    _fake_cache(tmp_path, working).load_inline("k", "int f(;")
    assert len(working.calls) == 1


def test_load_with_source_files_is_keyed_by_content(tmp_path):
    source = tmp_path / "k.cpp"
    source.write_text("int f();")
    builder = FakeBuilder()
    _fake_cache(tmp_path / "cache", builder).load("k", [str(source)])
    _fake_cache(tmp_path / "cache", builder).load("k", [str(source)])
    source.write_text("int f(); int g();")
    _fake_cache(tmp_path / "cache", builder).load("k", [str(source)])
    assert len(builder.calls) == 2


def test_installed_routes_torch_loaders_through_the_cache_and_restores_them(tmp_path):
    builder = FakeBuilder()
    cache = _fake_cache(tmp_path, builder)
    original = cpp_extension.load_inline
    with cache.installed():
        from torch.utils.cpp_extension import load_inline

        load_inline("k", "int f();")
    assert cpp_extension.load_inline is original
    assert cache.stats.compiles == 1


def test_default_root_is_under_the_user_cache_and_overridable(monkeypatch, tmp_path):
    monkeypatch.delenv("POLCA_KERNELS_CACHE_DIR", raising=False)
    assert default_cache_root() == Path.home() / ".cache" / "polca" / "kernels"
    monkeypatch.setenv("POLCA_KERNELS_CACHE_DIR", str(tmp_path))
    assert default_cache_root() == tmp_path


def test_toolchain_names_torch_and_the_compilers():
    toolchain = detect_toolchain()
    assert toolchain.torch_version and toolchain.python_version
    if shutil.which("c++"):
        assert toolchain.cxx_version


_needs_compiler = pytest.mark.skipif(
    shutil.which("c++") is None or not cpp_extension.is_ninja_available(), reason="needs a C++ compiler and ninja"
)


class CountingLoadInline:
    """torch's real load_inline (taken before the cache patches it), counting builds."""

    def __init__(self) -> None:
        self.calls = 0
        self._load_inline = cpp_extension.load_inline

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._load_inline(*args, **kwargs)


@pytest.fixture(scope="module")
def compiled_root(tmp_path_factory):
    """Compile the honest C++ relu once, in this process, through the cache."""
    root = tmp_path_factory.mktemp("kernel-cache")
    counting = CountingLoadInline()
    cache = CompileCache(root, builders={"load_inline": counting, "load": cpp_extension.load})
    with cache.installed():
        module = import_source(_HONEST_CPP.read_text(), "honest_relu_first")
    return root, counting, cache, module


@_needs_compiler
@pytest.mark.slow
def test_real_extension_compiles_once_and_the_second_load_is_cached(compiled_root):
    root, counting, cache, module = compiled_root
    assert counting.calls == 1 and cache.stats.compiles == 1
    second = CompileCache(root, builders={"load_inline": counting, "load": cpp_extension.load})
    with second.installed():
        again = import_source(_HONEST_CPP.read_text(), "honest_relu_second")
    assert counting.calls == 1 and second.stats.hits == 1
    import torch

    x = torch.randn(4, 5)
    assert torch.equal(again.ModelNew()(x), torch.relu(x))
    assert torch.equal(module.ModelNew()(x), torch.relu(x))


@_needs_compiler
@pytest.mark.slow
def test_a_fresh_worker_process_reuses_the_build_and_scores_the_honest_kernel(compiled_root):
    root = compiled_root[0]
    problem = load_problems(builtin_problems_dir(), ids="1")[0]
    config = EvalConfig(timing=TimingConfig(warmup_trials=1, trials=5), compare_compile=False, cache_root=str(root))
    result = evaluate(problem, _HONEST_CPP.read_text(), config)
    assert result.correct, result.feedback
    assert (result.compiled, result.cache_hit, result.compiles) == (True, True, 0)
    assert result.candidate_ms is not None and len(result.candidate_ms.samples_ms) == 5
    assert result.speedup("eager") is not None
