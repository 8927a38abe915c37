"""Running one evaluation job and holding the domain to its contract.

``run_job`` is a module-level function so that process and Ray executors can pickle it.
What one job records is the domain's unit of measurement: one trial per instance, or,
for a :class:`~polca.optimizer.contracts.BatchMeasuredDomain`, one trial for the whole
batch, keyed by its instance ids joined with ``+`` (``measured_keys``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from polca.optimizer.contracts import BatchMeasuredDomain, Candidate, Domain, Evaluation

log = logging.getLogger(__name__)

Job = tuple[Domain, Candidate, list[Any]]
JobOutcome = tuple[list[Evaluation] | str, float]
JOINED = "+"  # joins the instance ids of a batch measured as one


def measured_keys(domain: Domain, batch_ids: Sequence[str]) -> list[str]:
    """The keys of the trials one candidate's evaluation on ``batch_ids`` records: the
    instance ids, or one key for the whole batch when the domain measures batches."""
    if isinstance(domain, BatchMeasuredDomain) and batch_ids:
        return [JOINED.join(batch_ids)]
    return list(batch_ids)


def batch_cost(domain: Domain, size: int) -> int:
    """What evaluating one candidate on ``size`` instances counts against the budget."""
    return min(1, size) if isinstance(domain, BatchMeasuredDomain) else size


def instance_ids(key: str) -> list[str]:
    """The instance ids a trial's key covers (one, or a measured batch's)."""
    return key.split(JOINED) if key else []


def run_job(job: Job) -> JobOutcome:
    """Evaluate one candidate on one batch: (evaluations or the error text, duration_s).

    A domain that raises is reported as text, not raised: a candidate's failure is data.
    """
    domain, candidate, batch = job
    started = time.perf_counter()
    try:
        result: list[Evaluation] | str = (
            [domain.evaluate_batch(candidate, batch)] if isinstance(domain, BatchMeasuredDomain)
            else list(domain.evaluate(candidate, batch)))
    except Exception as exc:
        result = f"{type(exc).__name__}: {exc}"
    return result, time.perf_counter() - started


def checked_evaluations(
    candidate: Candidate,
    outcome: list[Evaluation] | str,
    batch_ids: Sequence[str],
    floor_score: float,
) -> list[Evaluation]:
    """One Evaluation per key of ``batch_ids`` (see ``measured_keys``), each carrying its key.

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

