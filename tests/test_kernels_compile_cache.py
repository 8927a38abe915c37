"""The compile cache: keyed by sources, options and toolchain; a second request never rebuilds.

The fast tests use counting fake builders. The slow ones evaluate one small C++ CPU extension
with an empty cache (the worker compiles it once, about a minute on two cores), then show that
a second evaluation in a fresh worker and a load in this process both reuse the build.
"""

from __future__ import annotations

import dataclasses
import shutil
import types
from pathlib import Path

import pytest
import torch
import torch.utils.cpp_extension as cpp_extension

from polca.kernels_bench.compile_cache import (
    CompileCache,
    Toolchain,
    cache_key,
    default_cache_root,
    detect_toolchain,
    inline_build_keys,
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
def cold_evaluation(tmp_path_factory):
    """Evaluate the honest C++ relu once with an empty cache: the worker builds it (the one compile)."""
    root = tmp_path_factory.mktemp("kernel-cache")
    problem = load_problems(builtin_problems_dir(), ids="1")[0]
    config = EvalConfig(timing=TimingConfig(warmup_trials=1, trials=5), compare_compile=False, cache_root=str(root))
    return root, problem, config, evaluate(problem, _HONEST_CPP.read_text(), config)


@_needs_compiler
@pytest.mark.slow
def test_the_first_evaluation_builds_in_the_worker_and_scores_the_honest_kernel(cold_evaluation):
    root, _, _, result = cold_evaluation
    assert result.correct, result.feedback
    assert (result.compiled, result.cache_hit, result.compiles) == (True, False, 1)
    assert result.candidate_ms is not None and len(result.candidate_ms.samples_ms) == 5
    assert result.speedup("eager") is not None
    keys = inline_build_keys(_HONEST_CPP.read_text())
    assert len(keys) == 1 and CompileCache(root).export(keys[0])  # the build came back to the host cache


@_needs_compiler
@pytest.mark.slow
def test_a_second_evaluation_of_the_same_source_does_not_recompile(cold_evaluation):
    root, problem, config, _ = cold_evaluation
    result = evaluate(problem, _HONEST_CPP.read_text(), config)
    assert result.correct, result.feedback
    assert (result.cache_hit, result.compiles) == (True, 0)


@_needs_compiler
@pytest.mark.slow
def test_loading_the_cached_build_in_process_runs_no_compiler(cold_evaluation):
    root = cold_evaluation[0]
    counting = CountingLoadInline()
    cache = CompileCache(root, builders={"load_inline": counting, "load": cpp_extension.load})
    with cache.installed():
        module = import_source(_HONEST_CPP.read_text(), "honest_relu_cached")
    assert counting.calls == 0 and cache.stats.hits == 1
    x = torch.randn(4, 5)
    assert torch.equal(module.ModelNew()(x), torch.relu(x))


_CANDIDATE = '''
from torch.utils.cpp_extension import load_inline

_HEADER = "#include <cstdint>\\n"
_BODY = "int f() { return 1; }"
_ext = load_inline(name="k", cpp_sources=_HEADER + _BODY, functions=["f"], extra_cflags=["-O2"], verbose=False)
'''


def test_static_keys_match_the_keys_the_worker_computes(tmp_path):
    cache = _fake_cache(tmp_path, FakeBuilder())
    with cache.installed():
        import_source(_CANDIDATE, "static_key_candidate")
    assert [build.key for build in cache.builds] == list(inline_build_keys(_CANDIDATE, _TOOLCHAIN))


@pytest.mark.parametrize(
    "call",
    ["load_inline(name=f'k{1}', cpp_sources='x')", "load_inline('k', make_source())", "load_inline(**options)",
     "load_inline('k', 'x', None, None)"],
)
def test_calls_with_run_time_arguments_have_no_static_key(call):
    assert inline_build_keys(f"from torch.utils.cpp_extension import load_inline\n_e = {call}\n", _TOOLCHAIN) == ()


def test_a_name_bound_twice_is_not_static():
    source = "A = 'x'\nA = 'y'\nload_inline('k', A)\n"
    assert inline_build_keys(source, _TOOLCHAIN) == ()
    assert len(inline_build_keys("A = 'x'\nload_inline('k', A)\n", _TOOLCHAIN)) == 1


def test_export_and_store_move_a_build_between_cache_roots(tmp_path):
    host = _fake_cache(tmp_path / "host", FakeBuilder())
    host.load_inline("k", "int f();")
    key = host.builds[0].key
    files = host.export(key)
    assert sorted(Path(p).name for p in files) == ["k.so", "polca-build.json"]
    other = _fake_cache(tmp_path / "other", FakeBuilder())
    stored = other.store(key, "k.so", files[f"{key}/k.so"])
    assert stored.read_text() == "built" and other.export(key).keys() == files.keys()
    assert host.export("0" * 32) == {}
    with pytest.raises(ValueError, match="bare"):
        other.store(key, "../evil.so", b"")


def test_the_evaluator_keeps_only_builds_whose_key_it_derived(tmp_path):
    import base64

    from polca.kernels_bench import evaluator

    cache = _fake_cache(tmp_path, FakeBuilder())
    data = base64.b64encode(b"module").decode()
    artifacts = [{"key": "a" * 32, "module_file": "k.so", "data_b64": data},
                 {"key": "b" * 32, "module_file": "k.so", "data_b64": data},
                 {"key": "c" * 32, "module_file": "k.so", "data_b64": "not base64!"}]
    evaluator._keep_artifacts(cache, ("a" * 32, "c" * 32), artifacts)
    assert cache.export("a" * 32) and not cache.export("b" * 32) and not cache.export("c" * 32)
