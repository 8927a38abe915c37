"""What one contestant run is asked to do and what it hands back.

Every budget is counted in **instance evaluations** (one candidate scored on one
instance), whatever the contestant calls them: GEPA metric calls, OpenEvolve iterations
times the instances its evaluator scores, POLCA evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.search.model import ModelSpec
from benchmarks.search.problems import ProblemSpec


@dataclass(frozen=True)
class RunSpec:
    """One contestant on one problem with one seed and one evaluation budget."""

    contestant: str
    problem: ProblemSpec
    budget_evals: int
    model: ModelSpec = field(default_factory=ModelSpec)
    minibatch: int = 5

    def __post_init__(self) -> None:
        if self.budget_evals < 2 * self.minibatch:
            raise ValueError(
                f"budget_evals={self.budget_evals} is below two minibatches "
                f"({2 * self.minibatch}); raise the budget or lower the minibatch"
            )
        if not 1 <= self.minibatch <= self.problem.num_instances:
            raise ValueError(
                f"minibatch must be in [1, num_instances={self.problem.num_instances}], "
                f"got {self.minibatch}"
            )

    @property
    def seed(self) -> int:
        return self.problem.seed


@dataclass(frozen=True)
class TracePoint:
    """After ``evals`` instance evaluations the contestant would return ``text``."""

    evals: int
    text: str


@dataclass(frozen=True)
class Outcome:
    """What a contestant returns: its best, its evaluations used, its best-so-far trace."""

    returned_text: str
    evals_used: int
    trace: Sequence[TracePoint]
    llm_calls: int
    notes: str = ""


def best_by_mean_trace(log: Sequence[tuple[int, str, float]]) -> list[TracePoint]:
    """Best-so-far by the mean of each text's observed scores, after every evaluation.

    ``log`` holds (evaluation number, candidate text, score) in order. A point is added
    only when the leader changes.
    """
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    trace: list[TracePoint] = []
    leader = ""
    for evals, text, score in log:
        sums[text] = sums.get(text, 0.0) + score
        counts[text] = counts.get(text, 0) + 1
        best = max(sums, key=lambda t: sums[t] / counts[t])
        if best != leader:
            leader = best
            trace.append(TracePoint(evals, best))
    return trace
