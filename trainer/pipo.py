"""PIPO core: Policy Improvement Policy Optimization, framework-free (pure torch).

GRPO updates open-loop from within-group statistics. PIPO ("Policy Improvement
Reinforcement Learning", arXiv 2604.00860) closes the loop: at step t it asks whether the
previous update actually improved the policy, against a sliding-window baseline of recent
batch means, and reinforces (or, damped, suppresses) that update with one extra clipped
policy-gradient term on the previous batch.

The formulas, as implemented here:

- ``mu_t`` = mean reward of the fresh batch; ``mu_his``, ``sigma_his`` = mean and sample
  standard deviation of the previous ``K`` batch means (``K = 8``);
- ``xi_t = (mu_t - mu_his) / sigma_his``; no PI term during the first ``K`` steps or when
  ``sigma_his == 0`` (``pi_signal`` returns None);
- ``phi(x) = x`` for ``x >= 0`` else ``lambda * x`` (``lambda = 0.1``);
- group attribution on the previous batch: ``a_i = G * (r_i - mean_g) / sum_j |r_j - mean_g|``
  (0 where a group is uniform);
- PI coefficient ``r_hat_i = a_i * phi(xi_t)``; the PI loss is a clipped-ratio policy
  gradient on the previous batch with these coefficients, the ratio taken against the
  log-probs of the policy that generated that batch, aggregated over tokens the way the
  base loss is (``AGGREGATIONS``, chosen by TRL's ``loss_type`` through ``LOSS_AGGREGATION``).

Nothing here knows TRL; ``trainer.grpo`` plugs it into ``GRPOTrainer``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import torch

DEFAULT_WINDOW = 8
DEFAULT_NEGATIVE_SLOPE = 0.1
PipoMode = Literal["added", "separate"]
# TRL's GRPOConfig.loss_type values PIPO composes with (clipped-ratio losses).
LossType = Literal["grpo", "dapo", "dr_grpo", "bnpo"]
LOSS_TYPES: tuple[str, ...] = get_args(LossType)


@dataclass(frozen=True)
class PISignal:
    """The closed-loop verdict on the previous update: ``xi`` and ``phi(xi)``."""

    xi: float
    phi: float
    mu: float
    mu_his: float
    sigma_his: float


class RewardWindow:
    """The last ``size`` batch mean rewards: the sliding-window baseline.

    ``state()`` / ``from_state()`` round-trip it through JSON, so a resumed run continues
    with the same baseline instead of spending ``size`` steps without a PI term.
    """

    def __init__(self, size: int = DEFAULT_WINDOW, means: Iterable[float] = ()) -> None:
        if not isinstance(size, int) or size < 2:
            raise ValueError(
                f"PIPO window size must be an int >= 2 (a sample std needs two means), got "
                f"{size!r}; the paper uses 8."
            )
        self.size = size
        self._means: deque[float] = deque((float(m) for m in means), maxlen=size)

    def __len__(self) -> int:
        return len(self._means)

    @property
    def full(self) -> bool:
        return len(self._means) == self.size

    @property
    def means(self) -> list[float]:
        return list(self._means)

    def push(self, batch_mean: float) -> None:
        if not math.isfinite(batch_mean):
            raise ValueError(f"batch mean reward must be finite, got {batch_mean!r}.")
        self._means.append(float(batch_mean))

    def stats(self) -> tuple[float, float]:
        """Mean and sample standard deviation (ddof = 1) of the window."""
        if len(self._means) < 2:
            raise ValueError(f"window holds {len(self._means)} means; stats need at least 2.")
        values = torch.tensor(self.means, dtype=torch.float64)
        return float(values.mean()), float(values.std(unbiased=True))

    def state(self) -> dict[str, object]:
        return {"size": self.size, "means": self.means}

    @classmethod
    def from_state(cls, state: dict[str, object]) -> RewardWindow:
        return cls(int(state["size"]), [float(m) for m in state["means"]])


@dataclass(frozen=True)
class PipoSettings:
    """PIPO hyper-parameters: window ``K``, ``lambda`` for negative ``xi``, and the mode."""

    window: int = DEFAULT_WINDOW
    negative_slope: float = DEFAULT_NEGATIVE_SLOPE
    mode: PipoMode = "added"

    def __post_init__(self) -> None:
        RewardWindow(self.window)
        if self.mode not in ("added", "separate"):
            raise ValueError(f"PIPO mode must be 'added' or 'separate', got {self.mode!r}.")
        if not 0.0 <= self.negative_slope <= 1.0:
            raise ValueError(
                f"PIPO negative_slope (lambda) must be in [0, 1], got {self.negative_slope}; "
                "the paper uses 0.1."
            )


def phi(x: float, negative_slope: float = DEFAULT_NEGATIVE_SLOPE) -> float:
    """Asymmetric gate: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return x if x >= 0 else negative_slope * x


def pi_signal(
    window: RewardWindow, batch_mean: float, negative_slope: float = DEFAULT_NEGATIVE_SLOPE
) -> PISignal | None:
    """``xi_t`` and ``phi(xi_t)`` for a fresh batch mean against the window (read only).

    None during the first ``K`` steps (window not full) and when ``sigma_his`` is 0 (or
    within float noise of it): no PI term then.
    """
    if not window.full:
        return None
    mu_his, sigma_his = window.stats()
    if sigma_his <= 1e-12 * max(1.0, abs(mu_his)):
        return None
    xi = (batch_mean - mu_his) / sigma_his
    return PISignal(xi, phi(xi, negative_slope), batch_mean, mu_his, sigma_his)


def group_attribution(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """``a_i = G * (r_i - mean_g) / sum_j |r_j - mean_g|`` per group of ``group_size``.

    ``rewards``: (N,) with N a multiple of ``group_size``, groups contiguous (TRL's
    layout). Uniform groups get 0. Returns (N,) float32 on ``rewards``' device.
    """
    if group_size < 1 or rewards.numel() % group_size:
        raise ValueError(
            f"{rewards.numel()} rewards do not split into groups of {group_size}; pass the "
            "number of generations per prompt as group_size."
        )
    grouped = rewards.detach().double().view(-1, group_size)  # (N/G, G)
    centred = grouped - grouped.mean(dim=1, keepdim=True)  # (N/G, G)
    spread = centred.abs().sum(dim=1, keepdim=True)  # (N/G, 1)
    safe = torch.where(spread > 0, spread, torch.ones_like(spread))
    attribution = torch.where(spread > 0, group_size * centred / safe, torch.zeros_like(centred))
    return attribution.view(-1).float()


def pi_coefficients(rewards: torch.Tensor, group_size: int, gate: float) -> torch.Tensor:
    """``r_hat_i = a_i * phi(xi_t)``: the per-sequence coefficients of the PI step."""
    return group_attribution(rewards, group_size) * gate


def token_mean(per_token: torch.Tensor, mask: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
    """Mean over every unmasked token of the batch (DAPO, BNPO)."""
    return (per_token * mask).sum() / mask.sum().clamp(min=1.0)


def sequence_mean(per_token: torch.Tensor, mask: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
    """Mean over sequences of each sequence's token mean (GRPO)."""
    return ((per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()


def constant_length(per_token: torch.Tensor, mask: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
    """Sum over tokens / (sequences * max completion length) (Dr. GRPO)."""
    if max_length is None or max_length < 1:
        raise ValueError(f"Dr. GRPO's aggregation divides by the max completion length; got {max_length!r}.")
    return (per_token * mask).sum() / (per_token.size(0) * max_length)


Aggregation = Callable[[torch.Tensor, torch.Tensor, "int | None"], torch.Tensor]
AGGREGATIONS: dict[str, Aggregation] = {
    "token": token_mean, "sequence": sequence_mean, "constant": constant_length,
}
LOSS_AGGREGATION: dict[str, str] = {"grpo": "sequence", "dapo": "token", "bnpo": "token", "dr_grpo": "constant"}


def aggregation_for(loss_type: str) -> str:
    """The PI loss aggregation that matches TRL's ``loss_type``; other types raise."""
    if loss_type not in LOSS_AGGREGATION:
        raise ValueError(
            f"PIPO composes with loss_type {', '.join(LOSS_AGGREGATION)} (clipped-ratio losses), got "
            f"{loss_type!r}; pick one of those or train with algo 'grpo'."
        )
    return LOSS_AGGREGATION[loss_type]


def pi_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    coefficients: torch.Tensor,
    mask: torch.Tensor,
    epsilon_low: float = 0.2,
    epsilon_high: float = 0.2,
    aggregation: str = "token",
    max_length: int | None = None,
) -> torch.Tensor:
    """Clipped-ratio policy-gradient loss on the previous batch (to minimise).

    ``logps``/``old_logps``/``mask``: (N, T) per-token log-probs under the current policy
    and under the policy that generated the batch, and the completion mask;
    ``coefficients``: (N,) PI rewards. Tokens are aggregated by ``AGGREGATIONS[aggregation]``
    (token mean by default, like DAPO). A row with coefficient 0 adds nothing, whatever its
    log-probs: callers may leave such rows at ``old_logps`` without a forward pass.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation {aggregation!r} is unknown; choose one of {', '.join(AGGREGATIONS)}.")
    ratio = torch.exp(logps - old_logps)  # (N, T)
    coef = coefficients.to(logps.dtype).unsqueeze(1)  # (N, 1)
    clipped = torch.clamp(ratio, 1 - epsilon_low, 1 + epsilon_high)
    per_token = -torch.min(ratio * coef, clipped * coef)  # (N, T)
    return AGGREGATIONS[aggregation](per_token, mask.to(logps.dtype), max_length)


def share_positive(xis: Sequence[float]) -> float:
    """Share of steps whose ``xi`` was positive (0.0 for no steps)."""
    return sum(1 for x in xis if x > 0) / len(xis) if xis else 0.0
