"""The kernel domain: score, feedback, seeds as instances, one GPU per evaluation, the run driver.

Most tests replace the evaluator with a builder of ``KernelResult``s so no worker starts;
the seed and the guard path use the real evaluator (the guards answer without a process);
the real C++ path on CPU is a ``slow`` test (a cold ``load_inline`` build takes a minute).
"""

from __future__ import annotations

import pickle
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from polca.kernels_bench import (
    EvalConfig,
    KernelResult,
    TimingConfig,
    TimingStats,
    builtin_problems_dir,
    load_problems,
)
from polca.optimizer.contracts import Candidate, Domain
from polca.optimizer.domains import kernel, kernel_run
from polca.optimizer.domains.kernel import KernelDomain, SeedInstance, kernel_score, to_evaluation
from polca.optimizer.domains.kernel_run import KernelRunOptions, optimize_problem
from polca.optimizer.executor import ThreadExecutor
from polca.optimizer.proposers import ScriptedProposer

RELU = load_problems(builtin_problems_dir(), ids="1")[0]
HONEST_CPP = (Path(__file__).parent / "kernels" / "honest" / "relu_cpp.py").read_text()


def _result(correct: bool = True, kernel_ms: float = 1.0, eager_ms: float = 2.0, **kwargs) -> KernelResult:
    timed = {"candidate_ms": TimingStats.from_samples([kernel_ms] * 3),
             "reference_ms": TimingStats.from_samples([eager_ms] * 3)} if correct else {}
    return KernelResult(problem_key=RELU.key, compiled=True, correct=correct,
                        failure="" if correct else "mismatch", reason="" if correct else "outputs differ",
                        feedback="all checks passed" if correct else "max abs error 3.2 at [0, 7]",
                        **timed, **kwargs)


class FakeEvaluator:
    """Stands in for ``kernels_bench.evaluate``: a result per source, and a record of each call."""

    def __init__(self, results: dict[str, KernelResult], delay_s: float = 0.0) -> None:
        self.results, self.delay_s = results, delay_s
        self.calls: list[tuple[str, EvalConfig]] = []
        self.busy: set[str] = set()
        self.overlaps = 0
        self._lock = threading.Lock()

    def __call__(self, problem, source, config):
        with self._lock:
            self.calls.append((source, config))
            self.overlaps += config.visible_devices in self.busy
            self.busy.add(config.visible_devices)
        time.sleep(self.delay_s)
        with self._lock:
            self.busy.discard(config.visible_devices)
        return self.results.get(source, _result(correct=False))


@pytest.fixture
def fake(monkeypatch):
    def install(results: dict[str, KernelResult], delay_s: float = 0.0) -> FakeEvaluator:
        evaluator = FakeEvaluator(results, delay_s)
        monkeypatch.setattr(kernel, "evaluate", evaluator)
        return evaluator

    return install


# ---------------------------------------------------------------- score and feedback


def test_score_is_the_speedup_over_eager_for_a_correct_unflagged_kernel():
    assert kernel_score(_result(kernel_ms=1.0, eager_ms=3.0)) == pytest.approx(3.0)


@pytest.mark.parametrize("result", [
    _result(correct=False),
    _result(flags=("line 9: lowers precision to 16 bits",)),
    _result(kernel_ms=0.1, eager_ms=5.0),  # 50x: awaits audit
], ids=["incorrect", "flagged", "awaiting-audit"])
def test_score_is_zero_for_an_incorrect_flagged_or_unaudited_kernel(result):
    assert kernel_score(result) == 0.0


def test_feedback_carries_the_mismatch_the_flags_and_the_metrics():
    failed = to_evaluation(_result(correct=False))
    assert failed.status == "failed" and "max abs error" in failed.feedback and failed.metrics["correct"] == 0.0
    flagged = to_evaluation(_result(flags=("line 9: lowers precision to 16 bits",)))
    assert flagged.score == 0.0 and "lowers precision" in flagged.feedback and "scores 0" in flagged.feedback
    fast = to_evaluation(_result(kernel_ms=1.0, eager_ms=2.0))
    assert fast.status == "ok" and fast.metrics["speedup_vs_eager"] == pytest.approx(2.0)
    assert fast.metrics["candidate_ms"] == 1.0 and fast.metrics["reference_ms"] == 2.0


# ---------------------------------------------------------------- the domain


def test_the_seed_is_the_reference_and_the_guards_say_why_it_is_not_a_kernel():
    domain = KernelDomain(RELU, EvalConfig(timeout_s=30))
    assert isinstance(domain, Domain)
    seed = domain.seed()
    assert seed.params == {"code": RELU.source} and seed.origin == "seed"
    evaluations = domain.evaluate(seed, domain.instances()[:2])
    assert [e.score for e in evaluations] == [0.0, 0.0]
    assert "ModelNew" in evaluations[0].feedback and "no custom kernel" in evaluations[0].feedback


def test_objective_shows_the_reference_and_the_device_specific_way_to_build():
    cpu = KernelDomain(RELU, EvalConfig(device="cpu")).describe()
    assert "torch.relu(x)" in cpu and "cpp_sources" in cpu and "C++" in cpu and RELU.key in cpu


def test_instances_are_seeds_and_a_batch_is_checked_in_one_run_on_its_seeds(fake):
    evaluator = fake({"kernel": _result(kernel_ms=1.0, eager_ms=2.0)})
    domain = KernelDomain(RELU, EvalConfig(), seeds=(3, 5, 8))
    assert domain.instances() == [SeedInstance(3), SeedInstance(5), SeedInstance(8)]
    candidate = Candidate({"code": "kernel"})
    evaluations = domain.evaluate(candidate, [SeedInstance(5), SeedInstance(8)])
    assert [e.score for e in evaluations] == pytest.approx([2.0, 2.0])
    ((source, config),) = evaluator.calls
    assert source == "kernel" and config.seeds == (5, 8) and config.visible_devices is None
    assert domain.latest_result(candidate).speedup("eager") == pytest.approx(2.0)


def test_a_candidate_without_code_fails_as_data(fake):
    evaluator = fake({})
    evaluations = KernelDomain(RELU).evaluate(Candidate({"prompt": "x"}), [SeedInstance(0)])
    assert evaluations[0].status == "failed" and "'code'" in evaluations[0].feedback and not evaluator.calls


def test_each_concurrent_evaluation_holds_its_own_gpu(fake):
    evaluator = fake({}, delay_s=0.05)
    domain = KernelDomain(RELU, EvalConfig(), gpus=("0", "1"))
    candidates = [Candidate({"code": f"kernel {i}"}) for i in range(6)]
    ThreadExecutor(max_workers=4).map(lambda c: domain.evaluate(c, [SeedInstance(0)]), candidates)
    assert {config.visible_devices for _, config in evaluator.calls} == {"0", "1"}
    assert evaluator.overlaps == 0


def test_the_domain_pickles_without_its_leases_or_results(fake):
    fake({"kernel": _result()})
    domain = KernelDomain(RELU, EvalConfig(), seeds=(1, 2), gpus=("0",))
    domain.evaluate(Candidate({"code": "kernel"}), [SeedInstance(1)])
    copy = pickle.loads(pickle.dumps(domain))
    assert copy.instances() == domain.instances() and copy.latest_result(Candidate({"code": "kernel"})) is None
    assert copy.evaluate(Candidate({"code": "kernel"}), [SeedInstance(2)])[0].score == pytest.approx(2.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"seeds": ()}, "at least one correctness seed"),
    ({"seeds": (1, 1)}, "repeats a seed"),
])
def test_bad_domain_settings_raise_with_the_rule(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KernelDomain(RELU, **kwargs)


# ---------------------------------------------------------------- the run driver


def _proposer(*sources: str) -> ScriptedProposer:
    def next_source(parent, evaluations, rng):
        return {"code": sources[int(rng.integers(len(sources)))]}

    return ScriptedProposer(next_source)


def test_a_search_keeps_the_fastest_kernel_and_gives_it_a_final_verdict_on_every_seed(fake):
    evaluator = fake({"slow": _result(kernel_ms=1.5, eager_ms=2.0), "fast": _result(kernel_ms=0.5, eager_ms=2.0)})
    options = KernelRunOptions(eval_config=EvalConfig(), budget_evals=16, batch_size=2, seeds=(0, 1, 2, 3))
    outcome = optimize_problem(RELU, options, proposer=_proposer("slow", "fast", "broken"))
    assert outcome.source == "fast" and outcome.result.speedup("eager") == pytest.approx(4.0)
    assert outcome.problem_key == RELU.key and 0 < outcome.evaluations <= 16
    searched = [config for _, config in evaluator.calls[:-1]]
    assert all(not config.compare_compile and len(config.seeds) == 2 for config in searched)
    final_source, final_config = evaluator.calls[-1]
    assert final_source == "fast" and final_config.compare_compile and final_config.seeds == (0, 1, 2, 3)


def test_a_search_without_a_score_reports_the_furthest_failure_without_re_running(fake):
    audited = _result(kernel_ms=0.1, eager_ms=5.0)  # correct, but 50x awaits audit: scores 0
    evaluator = fake({"suspicious": audited})
    options = KernelRunOptions(budget_evals=6, batch_size=2, seeds=(0, 1, 2, 3))
    outcome = optimize_problem(RELU, options, proposer=_proposer("broken", "suspicious"))
    assert outcome.source == "suspicious" and outcome.result == audited
    assert all(len(config.seeds) == 2 for _, config in evaluator.calls)


def test_the_furthest_failure_prefers_a_mismatch_to_a_guard_rejection(fake):
    rejected = KernelResult(problem_key=RELU.key, compiled=False, correct=False, failure="guard", reason="no ModelNew")
    fake({RELU.source: rejected})
    domain = KernelDomain(RELU, EvalConfig(timeout_s=30))
    assert domain.furthest_failure() is None
    domain.evaluate(domain.seed(), [SeedInstance(0)])
    domain.evaluate(Candidate({"code": "broken"}), [SeedInstance(0)])
    source, result = domain.furthest_failure()
    assert source == "broken" and result.failure == "mismatch"


@pytest.mark.parametrize("kwargs, message", [
    ({"budget_evals": 1}, "below batch_size"),
    ({"batch_size": 9}, "must lie in 1..8"),
    ({"executor": "dask"}, "choose 'thread' or 'ray'"),
    ({"gpus": ("0",)}, "needs eval_config.device='cuda'"),
    ({"executor": "ray"}, "use executor='thread' on a CPU"),
    ({"gpus_per_evaluation": 0}, "gpus_per_evaluation=0 must be positive"),
])
def test_bad_run_options_raise_with_the_rule(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KernelRunOptions(**kwargs)


def test_optimize_problems_needs_a_problem():
    with pytest.raises(ValueError, match="no problems"):
        kernel_run.optimize_problems([], KernelRunOptions())


def test_the_ray_executor_names_the_extra_when_ray_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"polca\[cluster\]"):
        kernel_run.kernel_executor(KernelRunOptions(eval_config=EvalConfig(device="cuda"), executor="ray"))


def test_the_worker_profiles_the_top_operators_per_call():
    from polca.kernels_bench import worker

    x = torch.randn(8, 64)
    lines = worker._profile(lambda t: torch.relu(t) + 1, [x], "cpu").splitlines()
    assert 1 <= len(lines) <= 5 and any("aten::" in line and "ms per call" in line for line in lines)


@pytest.mark.slow
def test_an_honest_cpp_kernel_scores_its_speedup_on_cpu(tmp_path):
    config = EvalConfig(device="cpu", timing=TimingConfig(warmup_trials=1, trials=5), compare_compile=False,
                        cache_root=str(tmp_path / "cache"), timeout_s=300)
    domain = KernelDomain(RELU, config, seeds=(0, 1))
    candidate = Candidate({"code": HONEST_CPP})
    evaluations = domain.evaluate(candidate, domain.instances())
    result = domain.latest_result(candidate)
    assert result.correct, result.feedback
    assert result.speedup("eager") > 0 and evaluations[0].score == kernel_score(result)
    assert [e.status for e in evaluations] == ["ok", "ok"]
    assert "Top operators of the candidate" in evaluations[0].feedback


@pytest.mark.gpu
def test_a_hand_written_cuda_kernel_scores_on_the_leased_gpu(tmp_path):
    source = (Path(__file__).parents[1] / "benchmarks" / "kernels" / "solutions" / "01_relu.py").read_text()
    config = EvalConfig(device="cuda", timing=TimingConfig(warmup_trials=5, trials=20), compare_compile=False,
                        cache_root=str(tmp_path / "cache"))
    domain = KernelDomain(RELU, config, seeds=(0, 1), gpus=("0",))
    candidate = Candidate({"code": source})
    evaluations = domain.evaluate(candidate, domain.instances())
    result = domain.latest_result(candidate)
    assert result.correct, result.feedback
    assert evaluations[0].score == kernel_score(result) and result.speedup("eager") > 0
