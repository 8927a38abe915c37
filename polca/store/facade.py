"""``Store``: the one object callers hold; every read and write goes through it.

Each public method is one transaction. Records are checked and turned into rows
(``polca.store.rows``) before a transaction begins, so a bad record never leaves half a
write behind; ``write_iteration`` puts a whole iteration in one transaction.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from polca.store import stats
from polca.store.records import (
    RUN_STATUSES,
    CandidateRecord,
    CandidateScore,
    EvaluationRecord,
    LLMCallRecord,
    RunRecord,
    RunStats,
    RunStatus,
    StoreError,
    SummaryRecord,
    new_id,
    utc_now,
)
from polca.store.rows import IterationRows, iteration_rows, to_record, to_row
from polca.store.schema import (
    CandidateRow,
    EvaluationRow,
    LLMCallRow,
    RunRow,
    SummaryRow,
    first_line,
    is_sqlite_memory,
    open_engine,
)

log = logging.getLogger(__name__)


class Store:
    """Runs and everything they produced, in one SQLAlchemy database. Thread-safe.

    Open with ``Store.open(url)``; close with ``close()`` or use it as a context manager.
    Every write is one transaction; reads return frozen records.
    """

    def __init__(self, engine: Engine, shown_url: str) -> None:
        """Use ``Store.open``; this wraps an engine whose schema is already checked."""
        self._engine = engine
        self.url = shown_url  # the URL with its password hidden
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        sqlite = engine.dialect.name == "sqlite"
        # SQLite has one writer at a time: writers of this process queue on a lock rather
        # than spinning in SQLite's busy handler; an in-memory database is one shared
        # connection, so every use of it is serialized.
        self._memory = sqlite and is_sqlite_memory(engine.url)
        self._write_lock = threading.RLock() if sqlite else None

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
        """Open the store at ``url`` (None: ``polca.config.DEFAULT_DB_URL``).

        ``url`` is any SQLAlchemy URL, or a plain path to a SQLite file. A new database
        gets its tables (the default ``.polca/`` folder is made too); ``create=False``
        raises ``StoreError`` instead. Raises ``StoreError`` for a bad URL or an
        unreachable server and ``SchemaVersionError`` for a store of another version.
        """
        engine, shown = open_engine(url, create=create)
        return cls(engine, shown)

    def close(self) -> None:
        """Release every connection; the store cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @contextmanager
    def _session(self, *, write: bool, what: str = "") -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any exception."""
        lock = self._write_lock if (write or self._memory) and self._write_lock else nullcontext()
        with lock:
            try:
                with self._sessions.begin() as session:
                    yield session
            except IntegrityError as exc:
                raise StoreError(f"{what} refused, nothing was written: {first_line(exc)}") from exc
            except DBAPIError as exc:
                doing = f"{what} failed, nothing was written" if write else "read failed"
                raise StoreError(f"store {self.url}: {doing}: {first_line(exc)}") from exc

    def _resolve_run(self, session: Session, run_id: str) -> RunRow:
        """The run with id ``run_id``, or the only run whose id starts with it."""
        if not isinstance(run_id, str) or not run_id.strip():
            raise ValueError(f"run id {run_id!r} is empty; `polca runs list` shows the runs")
        row = session.get(RunRow, run_id)
        if row is not None:
            return row
        pattern = re.sub(r"([\\%_])", r"\\\1", run_id) + "%"
        query = select(RunRow).where(RunRow.id.like(pattern, escape="\\"))
        rows = session.scalars(query.order_by(RunRow.created_at.desc()).limit(6)).all()
        if not rows:
            raise LookupError(
                f"no run {run_id!r} in store {self.url}; `polca runs list` shows the runs"
            )
        if len(rows) > 1:
            shown = ", ".join(r.id for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise LookupError(
                f"run id prefix {run_id!r} matches several runs ({shown}); type more of the id"
            )
        return rows[0]

    def _require_run(self, session: Session, run_id: str) -> None:
        if session.get(RunRow, run_id) is None:
            raise LookupError(
                f"no run {run_id!r} in store {self.url}; pass the full id that create_run returned"
            )

    # -- runs

    def create_run(self, kind: str, config: Mapping[str, Any], name: str | None = None) -> str:
        """Start a run of ``kind`` (``program``, ``prompt``, ``kernel``...); returns its id."""
        if not isinstance(kind, str) or not kind.strip():
            raise ValueError(f"run kind {kind!r} must be a non-empty string such as 'program'")
        if not isinstance(config, Mapping):
            raise TypeError(f"run config must be a dict, got {type(config).__name__}")
        now = utc_now()
        record = RunRecord(
            id=new_id(),
            kind=kind,
            name=name or "",
            status="running",
            config=dict(config),
            state={},
            best_candidate_id=None,
            created_at=now,
            updated_at=now,
        )
        row = RunRow(**to_row(record))
        with self._session(write=True, what=f"creating a {kind} run") as session:
            session.add(row)
        log.info("created %s run %s", kind, record.id)
        return record.id

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id or unique id prefix; ``LookupError`` names an unknown one."""
        with self._session(write=False) as session:
            return to_record(RunRecord, self._resolve_run(session, run_id))

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        """The ``limit`` newest runs, newest first."""
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit = {limit!r} must be a positive integer")
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(limit)
        with self._session(write=False) as session:
            return [to_record(RunRecord, row) for row in session.scalars(query)]

    def set_run_status(self, run_id: str, status: RunStatus) -> None:
        """Mark the run ``running``, ``finished``, ``failed`` or ``interrupted``."""
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} is not one of {list(RUN_STATUSES)}")
        with self._session(write=True, what=f"setting run {run_id} {status}") as session:
            self._require_run(session, run_id)
            values = {"status": status, "updated_at": utc_now()}
            session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    # -- writes

    def write_iteration(
        self,
        run_id: str,
        *,
        iteration: int,
        candidates: Sequence[CandidateRecord] = (),
        evaluations: Sequence[EvaluationRecord] = (),
        summary: SummaryRecord | None = None,
        state: Mapping[str, Any] | None = None,
        best_candidate_id: str | None = None,
    ) -> None:
        """Checkpoint one iteration in ONE transaction: all of it is written, or none.

        Candidates are written before evaluations, so an evaluation may refer to a
        candidate of the same call. ``state`` (the optimizer's own JSON data, replaced
        whole) and ``best_candidate_id`` (a candidate of this run) are kept on the run,
        which records ``iteration`` as its last checkpoint. A refused write (a duplicate
        candidate id, an evaluation of an unknown candidate) raises ``StoreError``.
        """
        if not isinstance(iteration, int) or iteration < 0:
            raise ValueError(f"iteration = {iteration!r} must be an integer >= 0")
        rows = iteration_rows(run_id, candidates, evaluations, summary, state)
        self._write(run_id, rows, iteration=iteration, best_candidate_id=best_candidate_id)

    def add_candidates(self, run_id: str, candidates: Sequence[CandidateRecord]) -> None:
        """Write candidates (one transaction) without checkpointing an iteration."""
        self._write(run_id, iteration_rows(run_id, candidates, (), None, None))

    def add_evaluations(self, run_id: str, evaluations: Sequence[EvaluationRecord]) -> None:
        """Write evaluations (one transaction) without checkpointing an iteration."""
        self._write(run_id, iteration_rows(run_id, (), evaluations, None, None))

    def add_summary(self, run_id: str, summary: SummaryRecord) -> None:
        """Write a summary without checkpointing an iteration."""
        self._write(run_id, iteration_rows(run_id, (), (), summary, None))

    def _write(
        self,
        run_id: str,
        rows: IterationRows,
        *,
        iteration: int | None = None,
        best_candidate_id: str | None = None,
    ) -> None:
        what = (
            f"writing iteration {iteration} of run {run_id}"
            if iteration is not None
            else f"writing to run {run_id}"
        )
        with self._session(write=True, what=what) as session:
            self._require_run(session, run_id)
            if rows.candidates:
                session.execute(insert(CandidateRow), rows.candidates)
            if rows.evaluations:
                session.execute(insert(EvaluationRow), rows.evaluations)
            if rows.summary is not None:
                session.execute(insert(SummaryRow), [rows.summary])
            if iteration is not None or rows.state is not None or best_candidate_id is not None:
                values = self._run_update(session, run_id, rows, iteration, best_candidate_id)
                session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))
        log.debug(
            "%s: %d candidates, %d evaluations", what, len(rows.candidates), len(rows.evaluations)
        )

    def _run_update(
        self,
        session: Session,
        run_id: str,
        rows: IterationRows,
        iteration: int | None,
        best_candidate_id: str | None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {"updated_at": utc_now()}
        if iteration is not None:
            values["iteration"] = iteration
        if rows.state is not None:
            values["state"] = rows.state
        if best_candidate_id is not None:
            known = select(CandidateRow.pk).where(
                CandidateRow.run_id == run_id, CandidateRow.id == best_candidate_id
            )
            if session.scalar(known) is None:
                raise ValueError(
                    f"best_candidate_id {best_candidate_id!r} is not a candidate of run "
                    f"{run_id}; write the candidate first (or in the same call)"
                )
            values["best_candidate_id"] = best_candidate_id
        return values

    def record_llm_call(
        self,
        run_id: str | None,
        *,
        purpose: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: float,
        latency_s: float,
        cached: bool = False,
        error: str | None = None,
    ) -> None:
        """Account for one model call (``run_id`` None: a call outside any run). Thread-safe."""
        record = LLMCallRecord(
            run_id=run_id,
            purpose=purpose,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
            latency_s=latency_s,
            cached=cached,
            error=error,
            created_at=utc_now(),
        )
        row = to_row(record)
        with self._session(write=True, what=f"recording a {purpose} call") as session:
            if run_id is not None:
                self._require_run(session, run_id)
            session.execute(insert(LLMCallRow), [row])

    # -- reads

    def candidates(self, run_id: str) -> list[CandidateRecord]:
        """The run's candidates in the order they were written."""
        query = select(CandidateRow).where(CandidateRow.run_id == run_id).order_by(CandidateRow.pk)
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            return [to_record(CandidateRecord, row) for row in session.scalars(query)]

    def evaluations(self, run_id: str, candidate_id: str | None = None) -> list[EvaluationRecord]:
        """The run's evaluations (of one candidate, if given) in the order they were written."""
        query = select(EvaluationRow).where(EvaluationRow.run_id == run_id)
        if candidate_id is not None:
            query = query.where(EvaluationRow.candidate_id == candidate_id)
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            rows = session.scalars(query.order_by(EvaluationRow.id))
            return [to_record(EvaluationRecord, row) for row in rows]

    def summaries(self, run_id: str) -> list[SummaryRecord]:
        """The run's summaries in the order they were written."""
        query = select(SummaryRow).where(SummaryRow.run_id == run_id).order_by(SummaryRow.id)
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            return [to_record(SummaryRecord, row) for row in session.scalars(query)]

    def llm_calls(self, run_id: str | None) -> list[LLMCallRecord]:
        """The run's model calls in the order they were recorded (None: calls outside runs)."""
        query = select(LLMCallRow).where(
            LLMCallRow.run_id.is_(None) if run_id is None else LLMCallRow.run_id == run_id
        )
        with self._session(write=False) as session:
            if run_id is not None:
                self._require_run(session, run_id)
            rows = session.scalars(query.order_by(LLMCallRow.id))
            return [to_record(LLMCallRecord, row) for row in rows]

    def llm_usage(self, run_id: str | None) -> dict[str, Any]:
        """Totals of the run's model calls (None: calls outside runs).

        Returns ``{"calls", "prompt_tokens", "completion_tokens", "cost_usd"}``.
        """
        with self._session(write=False) as session:
            if run_id is not None:
                self._require_run(session, run_id)
            return stats.usage_by_run(session, [run_id]).get(run_id, stats.no_usage())

    def candidate_scores(self, run_id: str) -> list[CandidateScore]:
        """Each evaluated candidate's mean score over all its evaluations, best first."""
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            scores = stats.scores_by_run(session, [run_id]).get(run_id, [])
        return sorted(scores, key=lambda s: (-s.mean_score, -s.evaluations, s.candidate_id))

    def run_stats(self, run_ids: Sequence[str]) -> dict[str, RunStats]:
        """Counts, best mean score and LLM cost of each run in ``run_ids`` (unknown ids omitted)."""
        ids = list(run_ids)
        query = select(RunRow.id, RunRow.best_candidate_id).where(RunRow.id.in_(ids))
        with self._session(write=False) as session:
            best = dict(session.execute(query).all())
            counts = stats.candidate_counts(session, ids)
            scores = stats.scores_by_run(session, ids)
            usage = stats.usage_by_run(session, ids)
        return {
            run_id: stats.run_stats_from(
                run_id,
                counts.get(run_id, 0),
                scores.get(run_id, []),
                best_id,
                usage.get(run_id, stats.no_usage()),
            )
            for run_id, best_id in best.items()
        }
