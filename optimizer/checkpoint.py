"""Persistence of a POLCA run: one store transaction per iteration, and reading it back.

The engine's only door to ``polca.store``. Each iteration writes the candidates created
in it (with their embeddings), every trial (one row per instance evaluation, or per batch
for a domain that measures a batch as one, so each candidate's full history is kept), the
summary if it changed, and the engine state (iteration, sampler positions, budget
counters, summary, summarized ids). The queue and the ε-net are not stored: both are
recomputed exactly from candidates and evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.evaluation import JOINED, instance_ids
from polca.optimizer.queue import Trial
from polca.store import CandidateRecord, EvaluationRecord, Store, SummaryRecord

RUN_KIND = "polca"


@dataclass(frozen=True)
class NewCandidate:
    candidate: Candidate
    embedding: Sequence[float] | None
    iteration: int


@dataclass(frozen=True)
class Snapshot:
    """A stored run, read back in creation order."""

    config: dict[str, Any]
    state: dict[str, Any]
    candidates: tuple[NewCandidate, ...]
    trials: tuple[tuple[str, Trial], ...]  # (candidate id, trial), in insertion order
    best_candidate_id: str | None = None


class RunCheckpoint:
    """Writes and reads one run of ``kind="polca"`` in a ``polca.store.Store``."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    @classmethod
    def create(cls, store: Store, config: dict[str, Any], name: str | None = None) -> RunCheckpoint:
        run_id = store.create_run(RUN_KIND, config, name=name)
        store.set_run_status(run_id, "running")
        return cls(store, run_id)

    def write(
        self,
        iteration: int,
        *,
        candidates: Sequence[NewCandidate],
        trials: Sequence[tuple[str, Trial]],
        summary: tuple[str, str, Sequence[str]] | None,
        state: dict[str, Any],
        best_candidate_id: str | None,
    ) -> None:
        """Persist one iteration in one transaction. ``summary`` is (text, reasoning, ids)."""
        summary_record = None
        if summary is not None:
            text, reasoning, ids = summary
            summary_record = SummaryRecord(self.run_id, iteration, text, reasoning, list(ids))
        self.store.write_iteration(
            self.run_id,
            iteration=iteration,
            candidates=[self._candidate_record(c) for c in candidates],
            evaluations=[self._evaluation_record(cid, t) for cid, t in trials],
            summary=summary_record,
            state=state,
            best_candidate_id=best_candidate_id,
        )

    def set_status(self, status: str) -> None:
        self.store.set_run_status(self.run_id, status)

    def load(self) -> Snapshot:
        run = self.store.get_run(self.run_id)
        candidates = tuple(
            NewCandidate(
                Candidate(dict(r.payload), tuple(r.parents), r.origin, r.id, r.note or ""),
                r.embedding,
                r.iteration,
            )
            for r in self.store.candidates(self.run_id)
        )
        trials = tuple((r.candidate_id, _trial(r)) for r in self.store.evaluations(self.run_id))
        return Snapshot(dict(run.config), dict(run.state or {}), candidates, trials, run.best_candidate_id)

    def _candidate_record(self, new: NewCandidate) -> CandidateRecord:
        c = new.candidate
        return CandidateRecord(
            id=c.id,
            run_id=self.run_id,
            payload=dict(c.params),
            content_hash=c.hash,
            parents=list(c.parents),
            origin=c.origin,
            embedding=None if new.embedding is None else [float(x) for x in new.embedding],
            iteration=new.iteration,
            note=c.note,
        )

    def _evaluation_record(self, candidate_id: str, trial: Trial) -> EvaluationRecord:
        ev = trial.evaluation
        return EvaluationRecord(
            run_id=self.run_id,
            candidate_id=candidate_id,
            batch_ids=instance_ids(trial.batch_id),
            score=float(ev.score),
            metrics=dict(ev.metrics),
            feedback=ev.feedback,
            status=ev.status,
            duration_s=trial.duration_s,
            error=ev.feedback if ev.status == "error" else None,
            iteration=trial.iteration,
            exact=ev.exact,
        )


def _trial(record: EvaluationRecord) -> Trial:
    batch_id = JOINED.join(record.batch_ids or [])
    evaluation = Evaluation(
        score=record.score,
        feedback=record.feedback or "",
        metrics=dict(record.metrics or {}),
        status=record.status,
        instance_id=batch_id,
        exact=record.exact,
    )
    return Trial(evaluation, batch_id, record.iteration, record.duration_s or 0.0)
