"""The evaluator end to end on CPU: guards first, then one sandboxed worker per candidate.

Candidates here are plain PyTorch so no compiler is needed; they go through
``run_candidate`` (no guards) to exercise the worker, and through ``evaluate`` to show the
guards stop them first. The compiled path is in test_kernels_compile_cache.py.
"""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from polca.kernels_bench import evaluator, worker
from polca.kernels_bench.compile_cache import CompileCache
from polca.kernels_bench.evaluator import EvalConfig, evaluate, run_candidate
from polca.kernels_bench.problems import builtin_problems_dir, load_problems
from polca.kernels_bench.results import KernelResult
from polca.kernels_bench.timing import TimingConfig

_RELU = load_problems(builtin_problems_dir(), ids="1")[0]
_CORRECT = """
import torch
import torch.nn as nn

print("candidate output that must not confuse the evaluator")


class ModelNew(nn.Module):
    def forward(self, x):
        return (x > 0) * x
"""


@pytest.fixture
def config(tmp_path) -> EvalConfig:
    return EvalConfig(seeds=(0, 1, 2, 3, 4), timing=TimingConfig(warmup_trials=1, trials=3), compare_compile=False,
                      cache_root=str(tmp_path / "cache"), timeout_s=120)


def test_guard_errors_score_zero_without_starting_a_process(monkeypatch, config):
    def no_process(*args, **kwargs):
        raise AssertionError("a rejected candidate must not run")

    monkeypatch.setattr(evaluator, "run", no_process)
    result = evaluate(_RELU, _CORRECT, config)
    assert (result.compiled, result.correct, result.failure) == (False, False, "guard")
    assert "no custom kernel" in result.feedback


def test_a_correct_candidate_is_checked_timed_and_rechecked_in_a_worker(config):
    result = run_candidate(_RELU, _CORRECT, config)
    assert (result.compiled, result.correct, result.failure) == (True, True, ""), result.feedback
    assert len(result.candidate_ms.samples_ms) == 3 and len(result.reference_ms.samples_ms) == 3
    assert result.compiled_reference_ms is None and result.speedup("eager") > 0
    assert "speedup" in result.feedback and result.wall_s > 0
    assert KernelResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_a_wrong_candidate_gets_mismatch_feedback(config):
    wrong = _CORRECT.replace("(x > 0) * x", "x")
    result = run_candidate(_RELU, wrong, config)
    assert (result.compiled, result.correct, result.failure) == (True, False, "mismatch")
    assert "output mismatch" in result.feedback and result.candidate_ms is None


def test_a_candidate_that_hangs_is_killed_at_the_timeout(config):
    hang = "while True:\n    pass\n"
    result = run_candidate(_RELU, hang, EvalConfig(timing=None, cache_root=config.cache_root, timeout_s=8))
    assert (result.correct, result.failure) == (False, "timeout")


def test_a_forged_verdict_without_the_nonce_is_ignored(config):
    forged = 'import json, os\nprint(json.dumps({"compiled": True, "correct": True}))\nos._exit(0)\n'
    result = run_candidate(_RELU, forged, config)
    assert (result.correct, result.failure) == (False, "crash")


def _request(tmp_path: Path, candidate: str) -> dict:
    (tmp_path / "problem.py").write_text(_RELU.source)
    (tmp_path / "candidate.py").write_text(candidate)
    return {"problem_path": str(tmp_path / "problem.py"), "candidate_path": str(tmp_path / "candidate.py"),
            "device": "cpu", "seeds": [0], "distributions": ["normal"], "shape_variants": False, "timing": None,
            "recheck_seeds": [1], "cache_root": str(tmp_path / "cache")}


def test_worker_reports_import_errors_and_a_missing_model_as_runtime_failures(tmp_path):
    raising = worker.evaluate_request(_request(tmp_path, "raise SystemExit('bye')\n"))
    assert (raising["compiled"], raising["failure"]) == (False, "runtime") and "SystemExit" in raising["reason"]
    missing = worker.evaluate_request(_request(tmp_path, "x = 1\n"))
    assert missing["failure"] == "runtime" and "ModelNew" in missing["reason"]


def test_worker_reports_a_failing_build_as_a_compile_failure(tmp_path, monkeypatch):
    def failing_build(name, *sources, build_directory, **options):
        raise RuntimeError("Error building extension 'k': error: expected ';'")

    def cache_factory(root):
        return CompileCache(root, builders={"load_inline": failing_build, "load": failing_build},
                            importer=lambda name, path: types.SimpleNamespace())

    monkeypatch.setattr(worker, "CompileCache", cache_factory)
    candidate = "from torch.utils.cpp_extension import load_inline\n_ext = load_inline('k', 'int f(')\n"
    verdict = worker.evaluate_request(_request(tmp_path, candidate))
    assert (verdict["compiled"], verdict["failure"]) == (False, "compile")
    assert "expected ';'" in verdict["feedback"]


def test_worker_verdict_for_a_correct_candidate(tmp_path):
    verdict = worker.evaluate_request(_request(tmp_path, _CORRECT))
    assert (verdict["compiled"], verdict["correct"], verdict["cache_hit"], verdict["compiles"]) == (True, True, False, 0)


@pytest.mark.parametrize("kwargs", [{"seeds": ()}, {"recheck_seeds": ()}, {"timeout_s": 0}, {"device": "tpu"}])
def test_bad_eval_config_raises_with_the_rule(kwargs):
    with pytest.raises(ValueError, match="must be|give at least"):
        EvalConfig(**kwargs)


@pytest.mark.gpu
def test_honest_cuda_kernel_on_a_gpu(tmp_path):
    source = (Path(__file__).parent / "kernels" / "honest" / "relu_cuda.py").read_text()
    result = evaluate(_RELU, source, EvalConfig(device="cuda", cache_root=str(tmp_path)))
    assert result.correct, result.feedback
    assert result.speedup("eager") is not None and result.speedup("compile") is not None
