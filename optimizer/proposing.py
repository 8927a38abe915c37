"""One proposal step: every explorer's children, asked for concurrently, held to the contract.

The engine hands over (parent, its latest evaluations, its context) per explorer and gets
back the usable children in explorer order, and each failed proposal with its kind (the
reason's prefix, :func:`~polca.optimizer.proposers.failure_kind`, or ``contract
violation`` for a child that breaks the Proposer contract), so a run can count them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from polca.optimizer.contracts import (
    Candidate,
    Evaluation,
    ProposalContext,
    Proposer,
    propose_outcome,
)
from polca.optimizer.proposers import failure_kind

ProposalJob = tuple[Candidate, Sequence[Evaluation], ProposalContext]
CONTRACT_VIOLATION = "contract violation"


@dataclass(frozen=True)
class ProposalFailure:
    """A proposal that gave no usable child: whose, of what kind, and why."""

    parent_id: str
    kind: str
    reason: str


def propose_children(
    proposer: Proposer, jobs: Sequence[ProposalJob], max_workers: int
) -> tuple[list[Candidate], list[ProposalFailure]]:
    """The children of every job's parent (in job order) and the failed proposals."""
    workers = max(1, min(max_workers, len(jobs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda job: propose_outcome(proposer, *job), jobs))
    children: list[Candidate] = []
    failures: list[ProposalFailure] = []
    for (parent, _, _), outcome in zip(jobs, outcomes, strict=True):
        failures.extend(ProposalFailure(parent.id, failure_kind(r), r) for r in outcome.failures)
        for child in outcome.children:
            problem = contract_violation(child, parent)
            if problem:
                failures.append(ProposalFailure(parent.id, CONTRACT_VIOLATION, problem))
            else:
                children.append(child)
    return children, failures


def contract_violation(child: Any, parent: Candidate) -> str:
    """Why a proposer's child breaks the Proposer contract ('' when it does not)."""
    if not isinstance(child, Candidate):
        return f"proposer returned {type(child).__name__}, not a Candidate"
    if tuple(child.parents) != (parent.id,):
        return f"child {child.id} has parents {child.parents!r}, expected ({parent.id!r},)"
    params = child.params
    if not params or not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
        return f"child {child.id} must have at least one parameter, all names and values text"
    return ""
