"""fast_p, geometric mean, audit flags and the JSON report."""

from __future__ import annotations

import math

import pytest

from polca.kernels_bench.results import KernelResult
from polca.kernels_bench.scoring import (
    fast_p,
    geometric_mean_speedup,
    read_report,
    summarize,
    write_report,
)
from polca.kernels_bench.timing import TimingStats


def _result(key: str, correct: bool = True, eager_ms: float | None = None, compiled_ms: float | None = None,
            candidate_ms: float | None = None) -> KernelResult:
    def stats(value):
        return TimingStats.from_samples([value]) if value is not None else None

    return KernelResult(problem_key=key, compiled=True, correct=correct, failure="" if correct else "mismatch",
                        reference_ms=stats(eager_ms), compiled_reference_ms=stats(compiled_ms),
                        candidate_ms=stats(candidate_ms))


def _results() -> list[KernelResult]:
    return [
        _result("a", eager_ms=2.0, compiled_ms=1.0, candidate_ms=1.0),  # 2x eager, 1x compile
        _result("b", eager_ms=1.2, compiled_ms=2.4, candidate_ms=1.0),  # 1.2x eager, 2.4x compile
        _result("c", eager_ms=1.0, compiled_ms=1.0, candidate_ms=2.0),  # 0.5x: correct but slower
        _result("d", correct=False, eager_ms=1.0, candidate_ms=0.1),  # wrong: speed does not matter
    ]


def test_fast_p_is_a_share_of_all_tasks():
    results = _results()
    assert fast_p(results, 0) == 3 / 4
    assert fast_p(results, 1) == 2 / 4
    assert fast_p(results, 1.5) == 1 / 4
    assert fast_p(results, 2) == 0  # strictly faster than p
    assert fast_p(results, 2, baseline="compile") == 1 / 4
    assert fast_p(results, 1, total_tasks=8) == 2 / 8


def test_geometric_mean_is_exp_mean_log_with_failures_as_one():
    expected = math.exp((math.log(2.0) + math.log(1.2) + math.log(0.5) + 0.0) / 4)
    assert geometric_mean_speedup(_results()) == pytest.approx(expected, rel=1e-12)
    assert geometric_mean_speedup([_result("x", correct=False)]) == 1.0


def test_speedups_above_ten_are_flagged_and_not_counted_until_confirmed():
    suspicious = _result("fast", eager_ms=50.0, candidate_ms=1.0)
    assert suspicious.needs_audit
    assert fast_p([suspicious], 1) == 0.0 and fast_p([suspicious], 0) == 0.0
    assert geometric_mean_speedup([suspicious]) == 1.0
    assert summarize([suspicious]).needs_audit == ("fast",)
    confirmed = suspicious.confirm_audit()
    assert not confirmed.needs_audit and fast_p([confirmed], 2) == 1.0
    assert geometric_mean_speedup([confirmed]) == pytest.approx(50.0)


def test_untimed_correct_results_count_for_fast_0_only():
    untimed = _result("u")
    assert untimed.speedup() is None
    assert fast_p([untimed], 0) == 1.0 and fast_p([untimed], 1) == 0.0


def test_summary_has_every_threshold_for_both_baselines():
    summary = summarize(_results())
    assert summary.tasks == 4 and summary.correct == 3
    assert set(summary.fast_p) == {"eager", "compile"}
    assert set(summary.fast_p["eager"]) == {"fast_0", "fast_1", "fast_1.5", "fast_2"}
    assert summary.fast_p["eager"]["fast_1"] == 0.5


def test_report_round_trips_through_json(tmp_path):
    results = _results()
    path = write_report(tmp_path / "out" / "report.json", results, total_tasks=5)
    loaded, summary = read_report(path)
    assert loaded == tuple(results)
    assert summary == summarize(results, total_tasks=5)


@pytest.mark.parametrize("kwargs", [{"p": -1.0}, {"p": 1.0, "total_tasks": 2}, {"p": 1.0, "total_tasks": 0}])
def test_bad_arguments_raise_with_the_rule(kwargs):
    with pytest.raises(ValueError, match="must be"):
        fast_p(_results(), **kwargs)


def test_a_file_that_is_not_a_report_is_rejected(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[]")
    with pytest.raises(ValueError, match="not a polca kernel report"):
        read_report(path)
