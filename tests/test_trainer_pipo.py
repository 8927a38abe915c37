"""PIPO math: window, xi, phi, attribution, first-K guard, sigma = 0, clipped PI loss."""

from __future__ import annotations

import math
import statistics

import pytest
import torch

from polca.trainer.pipo import (
    RewardWindow,
    group_attribution,
    phi,
    pi_coefficients,
    pi_loss,
    pi_signal,
    share_positive,
)


def _full_window(means: list[float]) -> RewardWindow:
    return RewardWindow(len(means), means)


def test_window_keeps_only_the_last_k_means() -> None:
    window = RewardWindow(3)
    for mean in [1.0, 2.0, 3.0, 4.0]:
        window.push(mean)
    assert window.means == [2.0, 3.0, 4.0]
    assert window.full


def test_window_stats_are_mean_and_sample_std() -> None:
    means = [0.1, 0.4, 0.2, 0.3, 0.5, 0.0, 0.6, 0.2]
    mu, sigma = _full_window(means).stats()
    assert mu == pytest.approx(statistics.mean(means))
    assert sigma == pytest.approx(statistics.stdev(means))


def test_window_state_round_trips() -> None:
    window = RewardWindow(4, [0.1, 0.2])
    restored = RewardWindow.from_state(window.state())
    assert restored.size == 4 and restored.means == [0.1, 0.2]


@pytest.mark.parametrize("size", [0, 1, 2.5])
def test_window_rejects_sizes_without_a_sample_std(size) -> None:
    with pytest.raises(ValueError, match="window size"):
        RewardWindow(size)


def test_window_rejects_non_finite_means() -> None:
    with pytest.raises(ValueError, match="finite"):
        RewardWindow(2).push(math.nan)


def test_xi_is_the_standardised_gap_to_the_window() -> None:
    means = [0.1, 0.4, 0.2, 0.3, 0.5, 0.0, 0.6, 0.2]
    signal = pi_signal(_full_window(means), 0.7)
    expected = (0.7 - statistics.mean(means)) / statistics.stdev(means)
    assert signal is not None
    assert signal.xi == pytest.approx(expected)
    assert signal.phi == pytest.approx(expected)


def test_negative_xi_is_damped_by_lambda() -> None:
    signal = pi_signal(_full_window([0.4, 0.6]), 0.0, negative_slope=0.1)
    assert signal is not None and signal.xi < 0
    assert signal.phi == pytest.approx(0.1 * signal.xi)


def test_phi_is_identity_above_zero_and_scaled_below() -> None:
    assert phi(2.0) == 2.0
    assert phi(0.0) == 0.0
    assert phi(-2.0) == pytest.approx(-0.2)
    assert phi(-2.0, negative_slope=0.5) == pytest.approx(-1.0)


def test_no_pi_term_during_the_first_k_steps() -> None:
    window = RewardWindow(8)
    for step in range(7):
        window.push(0.1 * step)
        assert pi_signal(window, 1.0) is None
    window.push(0.9)
    assert pi_signal(window, 1.0) is not None


def test_no_pi_term_when_the_window_has_no_spread() -> None:
    assert pi_signal(_full_window([0.5] * 8), 0.9) is None


def test_attribution_follows_the_formula_per_group() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.2, 0.4, 0.6, 0.8])
    got = group_attribution(rewards, group_size=4)
    for start in (0, 4):
        group = rewards[start : start + 4]
        centred = group - group.mean()
        expected = 4 * centred / centred.abs().sum()
        assert torch.allclose(got[start : start + 4], expected)


def test_attribution_is_zero_for_uniform_groups() -> None:
    rewards = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.3, 0.3])
    got = group_attribution(rewards, group_size=2)
    assert got[0] == 0 and got[1] == 0
    assert got[4] == 0 and got[5] == 0
    assert torch.allclose(got[2:4], torch.tensor([-1.0, 1.0]))


def test_attribution_sums_to_zero_and_has_absolute_sum_g() -> None:
    rewards = torch.rand(12, generator=torch.Generator().manual_seed(0))
    got = group_attribution(rewards, group_size=6).view(2, 6)
    assert torch.allclose(got.sum(dim=1), torch.zeros(2), atol=1e-6)
    assert torch.allclose(got.abs().sum(dim=1), torch.full((2,), 6.0))


def test_attribution_rejects_a_ragged_batch() -> None:
    with pytest.raises(ValueError, match="groups of 4"):
        group_attribution(torch.zeros(6), group_size=4)


def test_pi_coefficients_scale_attribution_by_the_gate() -> None:
    rewards = torch.tensor([1.0, 0.0])
    assert torch.allclose(pi_coefficients(rewards, 2, 0.5), torch.tensor([0.5, -0.5]))


def test_pi_loss_at_ratio_one_is_minus_mean_coefficient_per_token() -> None:
    logps = torch.zeros(2, 3, requires_grad=True)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    loss = pi_loss(logps, logps.detach(), torch.tensor([2.0, -1.0]), mask)
    assert loss.item() == pytest.approx(-(2 + 2 - 1) / 3)
    loss.backward()
    assert torch.allclose(logps.grad, -torch.tensor([[2.0, 2.0, 0.0], [-1.0, 0.0, 0.0]]) / 3)


def test_pi_loss_clips_the_ratio_for_positive_coefficients() -> None:
    old = torch.zeros(1, 1)
    logps = torch.full((1, 1), math.log(2.0), requires_grad=True)
    loss = pi_loss(logps, old, torch.tensor([1.0]), torch.ones(1, 1))
    assert loss.item() == pytest.approx(-1.2)
    loss.backward()
    assert logps.grad.item() == 0.0


def test_share_positive_counts_steps_with_xi_above_zero() -> None:
    assert share_positive([1.0, -0.5, 0.0, 2.0]) == 0.5
    assert share_positive([]) == 0.0


def test_pi_loss_aggregates_tokens_like_the_base_loss_type() -> None:
    from polca.trainer.pipo import aggregation_for

    logps = torch.zeros(2, 3)
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    coefficients = torch.tensor([1.0, 2.0])  # ratio 1: per-token loss is -coefficient
    token = pi_loss(logps, logps, coefficients, mask, aggregation=aggregation_for("dapo"))
    sequence = pi_loss(logps, logps, coefficients, mask, aggregation=aggregation_for("grpo"))
    constant = pi_loss(logps, logps, coefficients, mask, aggregation=aggregation_for("dr_grpo"), max_length=4)
    assert token.item() == pytest.approx(-(3 * 1 + 2) / 4)
    assert sequence.item() == pytest.approx(-(1 + 2) / 2)
    assert constant.item() == pytest.approx(-(3 * 1 + 2) / (2 * 4))


def test_rows_with_zero_coefficients_add_nothing_whatever_their_log_probs() -> None:
    old = torch.zeros(2, 2)
    moved = torch.tensor([[0.3, -0.2], [5.0, -7.0]])
    coefficients = torch.tensor([1.0, 0.0])
    mask = torch.ones(2, 2)
    only_first = torch.tensor([[0.3, -0.2], [0.0, 0.0]])
    assert pi_loss(moved, old, coefficients, mask).item() == pytest.approx(
        pi_loss(only_first, old, coefficients, mask).item())
