"""Budgets: evaluations, proposals, LLM dollars, wall time, iterations, a target score.

The run stops at whichever comes first, or after ``MAX_IDLE_ITERATIONS`` iterations in a
row that measured nothing (every explorer's score exact and no child measured: the
children were duplicates, failed to come, or were exact too), since such a search spends
no evaluation budget and would otherwise never end. Counters survive a resume
(``state``/``restore``); dollars are read from the LLM client's running usage and wall
time from an injectable clock, so tests need neither a priced model nor real waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Evaluation

MAX_IDLE_ITERATIONS = 3  # a proposer may still offer something new on a second or third ask


class Budget:
    """Counts what a run has spent and says when to stop."""

    def __init__(
        self,
        config: OptimizerConfig,
        *,
        cost_usd: Callable[[], float] = lambda: 0.0,
        clock: Callable[[], float] = time.monotonic,
        reserved_evaluations: int = 0,
        step_evaluations: int = 1,
    ) -> None:
        self._config = config
        self._cost_now = cost_usd
        self._clock = clock
        self._started = clock()
        self._cost_at_start = cost_usd()
        self.reserved_evaluations = reserved_evaluations  # kept for the final selection
        self.step_evaluations = step_evaluations  # the least one useful step spends
        self.evaluations = 0
        self.proposals = 0
        self.iterations = 0
        self.idle_iterations = 0  # iterations in a row that measured nothing
        self._prior_cost_usd = 0.0
        self._prior_wall_s = 0.0

    @property
    def cost_usd(self) -> float:
        return self._prior_cost_usd + (self._cost_now() - self._cost_at_start)

    @property
    def wall_s(self) -> float:
        return self._prior_wall_s + (self._clock() - self._started)

    def evaluations_left(self) -> int | None:
        """Evaluations the search may still spend (None: unlimited)."""
        if self._config.max_evaluations is None:
            return None
        spendable = self._config.max_evaluations - self.reserved_evaluations
        return max(0, spendable - self.evaluations)

    def affordable(self, count: int, each: int) -> int:
        """How many of ``count`` evaluations that cost ``each`` the search may still spend."""
        left = self.evaluations_left()
        return count if left is None else min(count, left // max(1, each))

    def charge(self, evaluations: Sequence[Evaluation], measurements: int) -> None:
        """Count one candidate's ``evaluations`` as ``measurements``, or as nothing when every
        score is exact (``Evaluation.exact``: known by definition, nothing was measured)."""
        if not (evaluations and all(e.exact for e in evaluations)):
            self.evaluations += measurements

    def end_iteration(self, evaluations_spent: int) -> None:
        """Count one finished iteration that spent ``evaluations_spent`` evaluations."""
        self.iterations += 1
        self.idle_iterations = 0 if evaluations_spent else self.idle_iterations + 1

    def exhausted(self, best_mean: float | None) -> str | None:
        """The name of the first budget that is spent, or None to keep going."""
        c = self._config
        left = self.evaluations_left()
        checks = (
            ("evaluations", left is not None and left < self.step_evaluations),
            ("proposals", c.max_proposals is not None and self.proposals >= c.max_proposals),
            ("cost_usd", c.max_cost_usd is not None and self.cost_usd >= c.max_cost_usd),
            ("wall_s", c.max_wall_s is not None and self.wall_s >= c.max_wall_s),
            ("iterations", c.max_iterations is not None and self.iterations >= c.max_iterations),
            ("idle_iterations", self.idle_iterations >= MAX_IDLE_ITERATIONS),
            (
                "target_score",
                c.target_score is not None and best_mean is not None and best_mean >= c.target_score,
            ),
        )
        return next((name for name, spent in checks if spent), None)

    def state(self) -> dict[str, Any]:
        return {
            "evaluations": self.evaluations,
            "proposals": self.proposals,
            "iterations": self.iterations,
            "idle_iterations": self.idle_iterations,
            "cost_usd": self.cost_usd,
            "wall_s": self.wall_s,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.evaluations = int(state["evaluations"])
        self.proposals = int(state["proposals"])
        self.iterations = int(state["iterations"])
        self.idle_iterations = int(state.get("idle_iterations", 0))
        self._prior_cost_usd = float(state["cost_usd"])
        self._prior_wall_s = float(state["wall_s"])
        self._cost_at_start = self._cost_now()
        self._started = self._clock()
