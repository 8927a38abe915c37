"""Running one evaluation job and holding the domain to its contract.

``run_job`` is a module-level function so that process and Ray executors can pickle it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from polca.optimizer.contracts import Candidate, Domain, Evaluation

log = logging.getLogger(__name__)

Job = tuple[Domain, Candidate, list[Any]]
JobOutcome = tuple[list[Evaluation] | str, float]


def run_job(job: Job) -> JobOutcome:
    """Evaluate one candidate on one batch: (evaluations or the error text, duration_s).

    A domain that raises is reported as text, not raised: a candidate's failure is data.
    """
    domain, candidate, batch = job
    started = time.perf_counter()
    try:
        result: list[Evaluation] | str = list(domain.evaluate(candidate, batch))
    except Exception as exc:
        result = f"{type(exc).__name__}: {exc}"
    return result, time.perf_counter() - started


def checked_evaluations(
    candidate: Candidate,
    outcome: list[Evaluation] | str,
    batch_ids: Sequence[str],
    floor_score: float,
) -> list[Evaluation]:
    """One Evaluation per batch id, each carrying its instance id.

    An error text becomes ``status="error"`` evaluations scoring ``floor_score``. A wrong
    number of evaluations is the domain breaking its contract, a systemic fault: it raises.
    """
    if isinstance(outcome, str):
        log.warning("domain raised on candidate %s: %s", candidate.id, outcome)
        return [Evaluation(floor_score, outcome, status="error", instance_id=k) for k in batch_ids]
    if len(outcome) != len(batch_ids):
        raise ValueError(
            f"domain.evaluate returned {len(outcome)} evaluations for a batch of "
            f"{len(batch_ids)}; it must return exactly one Evaluation per instance, in order."
        )
    return [
        e if e.instance_id else replace(e, instance_id=k)
        for e, k in zip(outcome, batch_ids, strict=True)
    ]


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
