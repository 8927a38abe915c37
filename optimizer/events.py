"""What a POLCA run tells its observers (the CLI progress display, logs, tests).

Frozen dataclasses over plain data, emitted on a ``polca.events.EventBus`` in this order
per run: ``RunStarted``; per iteration ``IterationStarted``, ``CandidateEvaluated`` for
each explorer, ``ProposalFailed``/``ProposalRejected`` as they happen,
``CandidateEvaluated`` for each surviving child, ``NewBest`` when the argmax of the
mean changes, ``SummaryUpdated``; then ``BudgetExhausted`` (when a budget, not the
caller, ended the search), ``CandidateEvaluated`` with ``role="final"`` for the final
pool, and ``RunFinished``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from polca.events import Event

EvaluationRole = Literal["explorer", "child", "final"]


@dataclass(frozen=True)
class RunStarted(Event):
    run_id: str | None
    seed_id: str
    resumed_at_iteration: int  # 0 for a fresh run
    max_evaluations: int | None
    max_iterations: int | None
    max_proposals: int | None


@dataclass(frozen=True)
class IterationStarted(Event):
    iteration: int
    explorer_ids: tuple[str, ...]
    batch_ids: tuple[str, ...]


@dataclass(frozen=True)
class CandidateEvaluated(Event):
    iteration: int
    candidate_id: str
    role: EvaluationRole
    batch_ids: tuple[str, ...]
    scores: tuple[float, ...]  # this evaluation's scores: one per instance, or one per measured batch
    mean_score: float  # over the candidate's whole history
    num_scores: int  # length of the whole history
    evaluations_used: int  # run total after this evaluation


@dataclass(frozen=True)
class ProposalRejected(Event):
    """The ε-net dropped a child unevaluated: it lies within ``epsilon`` of memory."""

    iteration: int
    parent_id: str
    candidate_id: str
    distance: float
    epsilon: float


@dataclass(frozen=True)
class ProposalFailed(Event):
    """The proposer could not produce a child (e.g. a malformed answer, twice)."""

    iteration: int
    parent_id: str
    reason: str


@dataclass(frozen=True)
class SummaryUpdated(Event):
    iteration: int
    summary: str
    reasoning: str
    candidate_ids: tuple[str, ...]


@dataclass(frozen=True)
class NewBest(Event):
    iteration: int
    candidate_id: str
    mean_score: float
    num_scores: int


@dataclass(frozen=True)
class BudgetExhausted(Event):
    iteration: int
    reason: str  # "evaluations", "proposals", "cost_usd", "wall_s", "iterations", "target_score"


@dataclass(frozen=True)
class RunFinished(Event):
    run_id: str | None
    best_id: str
    best_score: float
    ci_low: float
    ci_high: float
    iterations: int
    evaluations: int
    proposals: int
    cost_usd: float
