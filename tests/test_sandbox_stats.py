"""Timing statistics on synthetic samples: estimator, bootstrap interval, verdict rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polca.sandbox.stats import (
    MIN_SPEEDUP,
    SpeedupEstimate,
    bootstrap_ci,
    geometric_mean,
    paired_speedup,
    summarize,
    verdict,
)


def _noisy(base_s: float, n: int, seed: int, rel_noise: float = 0.02) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(base_s * np.exp(rng.normal(0.0, rel_noise, n)))


def _estimate(speedup: float, low: float, high: float) -> SpeedupEstimate:
    return SpeedupEstimate(speedup=speedup, ci_low=low, ci_high=high, confidence=0.95, n_rounds=20)


def test_geometric_mean_is_exp_of_mean_log():
    values = [1.0, 2.0, 4.0]
    assert geometric_mean(values) == pytest.approx(math.exp(sum(map(math.log, values)) / 3))
    assert geometric_mean(values) == pytest.approx(2.0)


def test_summarize_reports_median_quartiles_and_range():
    summary = summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (summary.n, summary.median_s, summary.q1_s, summary.q3_s) == (5, 3.0, 2.0, 4.0)
    assert (summary.min_s, summary.max_s) == (1.0, 5.0)
    assert summary.rel_iqr == pytest.approx(2.0 / 3.0)


def test_known_speedup_is_estimated_inside_its_interval():
    candidate = _noisy(0.010, 30, seed=1)
    baseline = [1.3 * s for s in _noisy(0.010, 30, seed=1)]
    estimate = paired_speedup(baseline, candidate)
    assert estimate.speedup == pytest.approx(1.3)
    assert estimate.ci_low <= 1.3 <= estimate.ci_high
    assert verdict(estimate) == "faster"


def test_identical_sides_give_no_difference():
    a, b = _noisy(0.02, 20, seed=2), _noisy(0.02, 20, seed=3)
    estimate = paired_speedup(a, b)
    assert estimate.ci_low < 1.0 < estimate.ci_high
    assert verdict(estimate) == "no difference"


def test_slower_candidate_is_called_slower():
    base = _noisy(0.01, 20, seed=4)
    estimate = paired_speedup(base, [1.5 * s for s in base])
    assert estimate.speedup == pytest.approx(1 / 1.5)
    assert verdict(estimate) == "slower"


def test_pairing_cancels_drift_shared_by_both_sides_of_a_round():
    drift = np.linspace(1.0, 3.0, 20)  # the machine slows down threefold over the run
    baseline = list(0.012 * drift)
    candidate = list(0.010 * drift)
    estimate = paired_speedup(baseline, candidate)
    assert estimate.speedup == pytest.approx(1.2)
    assert estimate.ci_high - estimate.ci_low == pytest.approx(0.0, abs=1e-9)


def test_bootstrap_is_reproducible_for_a_seed():
    logs = list(np.random.default_rng(5).normal(0.1, 0.05, 25))
    assert bootstrap_ci(logs, seed=7) == bootstrap_ci(logs, seed=7)
    low, high = bootstrap_ci(logs, seed=7)
    assert low < float(np.median(logs)) < high


@pytest.mark.parametrize(
    ("speedup", "low", "high", "expected"),
    [
        (MIN_SPEEDUP, 1.01, 1.2, "faster"),
        (MIN_SPEEDUP - 0.001, 1.05, 1.2, "no difference"),  # below the threshold
        (1.5, 1.0, 2.0, "no difference"),  # interval touches 1.0
        (1.0, 0.95, 1.05, "no difference"),
        (1 / MIN_SPEEDUP, 0.8, 0.99, "slower"),
        (0.95, 0.9, 0.99, "no difference"),  # slower, but not by enough
    ],
)
def test_verdict_needs_threshold_and_interval(speedup, low, high, expected):
    assert verdict(_estimate(speedup, low, high)) == expected


def test_verdict_rejects_a_threshold_below_one():
    with pytest.raises(ValueError, match="min_speedup"):
        verdict(_estimate(1.2, 1.1, 1.3), min_speedup=0.9)


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        ([1.0, 2.0], [1.0], "equal counts"),
        ([1.0, 0.0], [1.0, 1.0], "positive"),
        ([], [], "non-empty"),
        ([1.0, float("nan")], [1.0, 1.0], "finite"),
    ],
)
def test_bad_samples_are_rejected_with_the_rule(a, b, match):
    with pytest.raises(ValueError, match=match):
        paired_speedup(a, b)


def test_bad_bootstrap_settings_are_rejected():
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([0.1, 0.2], confidence=1.0)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci([0.1, 0.2], n_resamples=10)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.001, 1.0), min_size=3, max_size=15),
    st.floats(0.2, 5.0),
)
def test_scaling_the_baseline_scales_speedup_and_interval(samples, factor):
    base = paired_speedup(samples, samples, n_resamples=200)
    scaled = paired_speedup([factor * s for s in samples], samples, n_resamples=200)
    assert scaled.speedup == pytest.approx(factor * base.speedup, rel=1e-9)
    assert scaled.ci_low == pytest.approx(factor * base.ci_low, rel=1e-9)
    assert scaled.ci_high == pytest.approx(factor * base.ci_high, rel=1e-9)
