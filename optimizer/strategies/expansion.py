"""Expansion: which explorers the proposer is asked for children of.

Every iteration pops ``num_candidates`` explorers and scores them on one shared minibatch
(as the re-evaluation policy decides); the expansion policy then picks the explorers that
get ``num_proposals`` children each.

- ``SpreadExpansion`` (``spread``, the paper's schedule): every explorer.
- ``FocusExpansion`` (``focus``): only the explorer with the best mean; the others are
  still compared with it on the shared minibatch.
- ``AdaptiveExpansion`` (``adaptive``, the default): the explorer with the best mean, and
  every other explorer that may still be the best, i.e. whose mean is statistically tied
  with it under the observed noise (the re-evaluation policy's tie test). With no noise
  that is ``focus``; where one minibatch does not separate the explorers it is
  ``spread``; until the noise is measured it is ``spread``.

Why: on the search benchmark at noise 0 the paper's schedule gave half of its children
to the runner-up, which one minibatch had already shown worse than the leader, so the
leader's line grew at half greedy's rate; focusing there raised the returned quality
(tuning seeds 100-102: 0.969 to 0.990 smooth, 0.731 to 0.948 on the 8-dimensional
heavy-tailed landscape). Where the explorers were tied (noise 0.1 and 0.3, seeds
103-108) focusing bought nothing over spreading (0.729 vs 0.740 smooth, 0.599 vs 0.708
deceptive at noise 0.1), so ``adaptive`` spreads there. ``BENCHMARKS.md`` has the figures.

A policy decides from plain numbers (``Standing``, ``Evidence``), so its decisions can be
tested on synthetic histories without an engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from polca.optimizer.strategies import make_policy
from polca.optimizer.strategies.reevaluation import AdaptiveReevaluation, Evidence, Standing


@runtime_checkable
class ExpansionPolicy(Protocol):
    """Splits the iteration's proposals among its explorers.

    Invariants: one count per explorer, each ``0`` or ``per_explorer``; the explorer with
    the best mean always gets ``per_explorer``.
    """

    def allot(self, explorers: Sequence[Standing], evidence: Evidence,
              per_explorer: int) -> list[int]: ...


class SpreadExpansion:
    """``per_explorer`` children of every explorer."""

    def allot(self, explorers: Sequence[Standing], evidence: Evidence,
              per_explorer: int) -> list[int]:
        return [per_explorer] * len(explorers)


class FocusExpansion:
    """``per_explorer`` children of the explorer with the best mean (ties: popped first)."""

    def allot(self, explorers: Sequence[Standing], evidence: Evidence,
              per_explorer: int) -> list[int]:
        leader = _leader(explorers)
        return [per_explorer if i == leader else 0 for i in range(len(explorers))]


class AdaptiveExpansion:
    """Children of the leading explorer and of every explorer tied with it.

    ``tie_test``: the re-evaluation policy whose test and noise threshold decide a tie.
    """

    def __init__(self, tie_test: AdaptiveReevaluation | None = None) -> None:
        self.tie_test = tie_test or AdaptiveReevaluation()

    def allot(self, explorers: Sequence[Standing], evidence: Evidence,
              per_explorer: int) -> list[int]:
        if not self.tie_test.measured(evidence):
            return [per_explorer] * len(explorers)
        leader = _leader(explorers)
        return [per_explorer if i == leader or self.tie_test.tied(explorers[leader], e, evidence)
                else 0 for i, e in enumerate(explorers)]


def _leader(explorers: Sequence[Standing]) -> int | None:
    """Position of the explorer with the best mean (ties: popped first); None when empty."""
    if not explorers:
        return None
    return max(range(len(explorers)), key=lambda i: (_mean_or_low(explorers[i]), -i))


def _mean_or_low(standing: Standing) -> float:
    return standing.mean if standing.num_scores and math.isfinite(standing.mean) else -math.inf


EXPANSIONS: dict[str, Callable[[], ExpansionPolicy]] = {
    "adaptive": AdaptiveExpansion,
    "focus": FocusExpansion,
    "spread": SpreadExpansion,
}


def make_expansion(name: str) -> ExpansionPolicy:
    """The policy registered as ``name``; unknown names raise listing the choices."""
    return make_policy(EXPANSIONS, "expansion", name)
