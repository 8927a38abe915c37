"""The store: every run, candidate, evaluation, summary and LLM call, in one database.

SQLAlchemy 2 typed ORM over any SQLAlchemy URL: a SQLite file ``.polca/polca.db`` in the
working directory by default (WAL mode, so readers never wait on the writer), PostgreSQL
(``postgresql+psycopg://user@host/db``) for teams. A plain path (``runs/polca.db``) means
a SQLite file.

The store persists rows and holds no policy: no queue, no sampling, no model calls. Reads
return frozen records (never ORM objects). ``write_iteration`` is the optimizer's
per-iteration checkpoint: one transaction, all or nothing, so a run killed mid-iteration
leaves a store that ``--resume`` reads back exactly as of the last finished iteration.

Example::

    with Store.open("sqlite:///polca.db") as store:
        run_id = store.create_run("program", config={"budget": 100})
        store.write_iteration(run_id, iteration=0, candidates=[seed], evaluations=evals)
        store.get_run(run_id[:6]).state
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from polca.config import DEFAULT_DB_URL

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
RunStatus = Literal["running", "finished", "failed", "interrupted"]
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
SQLITE_BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10


class StoreError(RuntimeError):
    """The store cannot be opened or a write was refused; the message says why and what to do."""


class SchemaVersionError(StoreError):
    """The database was made by a polca with another schema version."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh 12-hex-digit id (the form candidate ids take too)."""
    return uuid.uuid4().hex[:12]


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RunRecord:
    """One optimization run. ``iteration`` is the last one checkpointed (None before any)."""

    id: str
    kind: str
    name: str
    status: str
    config: dict[str, Any]
    state: dict[str, Any]
    best_candidate_id: str | None
    created_at: datetime
    updated_at: datetime
    iteration: int | None = None


@dataclass(frozen=True)
class CandidateRecord:
    """A candidate as stored: named text parameters, lineage and where it came from."""

    id: str
    run_id: str
    payload: dict[str, str]
    content_hash: str
    parents: list[str] = field(default_factory=list)
    origin: str = "seed"
    embedding: list[float] | None = None
    iteration: int = 0
    note: str = ""
    created_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class EvaluationRecord:
    """One evaluation of a candidate on a minibatch; ``id`` is set by the store on reads."""

    run_id: str
    candidate_id: str
    batch_ids: list[str]
    score: float
    metrics: dict[str, Any] = field(default_factory=dict)
    feedback: str = ""
    status: str = "ok"
    duration_s: float = 0.0
    error: str | None = None
    iteration: int = 0
    id: int | None = None
    created_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class SummaryRecord:
    """The summarizer's advice after an iteration, and the candidates it was drawn from."""

    run_id: str
    iteration: int
    text: str
    reasoning: str = ""
    candidate_ids: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class LLMCallRecord:
    """One model call: what for, which model, tokens, cost and latency; ``run_id`` may be None."""

    run_id: str | None
    purpose: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    cached: bool
    error: str | None
    created_at: datetime


@dataclass(frozen=True)
class CandidateScore:
    """A candidate's mean score over all its evaluations."""

    candidate_id: str
    mean_score: float
    evaluations: int


@dataclass(frozen=True)
class RunStats:
    """Counts for one run. ``best_score`` is the mean score of the run's best candidate
    (the one the run named, else the highest mean); None before any evaluation."""

    run_id: str
    candidates: int
    evaluations: int
    best_score: float | None
    llm_calls: int
    cost_usd: float


# ---------------------------------------------------------------------------- schema


class _UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone: store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Base(DeclarativeBase):
    type_annotation_map = {datetime: _UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class _SchemaVersion(_Base):
    __tablename__ = "polca_schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class _Run(_Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]]
    state: Mapped[dict[str, Any]]
    best_candidate_id: Mapped[str | None] = mapped_column(String(64))
    iteration: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class _Candidate(_Base):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("run_id", "id", name="uq_candidates_run_id_id"),
        Index("ix_candidates_run_id_content_hash", "run_id", "content_hash"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(128))
    parents: Mapped[list[str]]
    origin: Mapped[str] = mapped_column(String(200))
    embedding: Mapped[list[float] | None] = mapped_column(JSON(none_as_null=True))
    iteration: Mapped[int]
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class _Evaluation(_Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "candidate_id"], ["candidates.run_id", "candidates.id"], ondelete="CASCADE"
        ),
        Index("ix_evaluations_run_id_candidate_id", "run_id", "candidate_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    candidate_id: Mapped[str] = mapped_column(String(64))
    batch_ids: Mapped[list[str]]
    score: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]]
    feedback: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    duration_s: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    iteration: Mapped[int]
    created_at: Mapped[datetime]


class _Summary(_Base):
    __tablename__ = "summaries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    iteration: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text)
    candidate_ids: Mapped[list[str]]
    created_at: Mapped[datetime]


class _LLMCall(_Base):
    __tablename__ = "llm_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int]
    completion_tokens: Mapped[int]
    cost_usd: Mapped[float] = mapped_column(Float)
    latency_s: Mapped[float] = mapped_column(Float)
    cached: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


_POLCA_TABLES = {table.name for table in _Base.metadata.sorted_tables}


# ---------------------------------------------------------------------------- JSON and URLs


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, allow_nan=False, ensure_ascii=False)


def _redact(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs."""
    return re.sub(r"(://[^:/@]+:)[^@/]*@", r"\1***@", url)


def _parse_url(url: str | os.PathLike[str] | None) -> URL:
    """A SQLAlchemy URL from a URL, a plain path (a SQLite file) or None (the default)."""
    text = DEFAULT_DB_URL if url is None else os.fspath(url)
    if not isinstance(text, str) or not text.strip():
        raise StoreError(f"store URL {text!r} is empty; pass a SQLAlchemy URL or a SQLite path")
    if "://" not in text:
        text = f"sqlite:///{text}"
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"cannot parse store URL {_redact(text)}: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is polca's driver
    return parsed


def _is_sqlite_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _prepare_sqlite_file(url: URL, *, is_default: bool, create: bool, shown: str) -> None:
    path = Path(url.database or "")
    if not create and not path.exists():
        raise StoreError(f"no store at {shown}: {path} does not exist (run an optimization first)")
    if is_default:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.exists():
        raise StoreError(
            f"cannot open store {shown}: folder {path.parent} does not exist; create it first"
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # in WAL: durable across process crashes
    cursor.close()


def _make_engine(url: URL, shown: str) -> Engine:
    kwargs: dict[str, Any] = {"json_serializer": _dumps}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if _is_sqlite_memory(url):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
    elif url.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        if "connect_timeout" not in url.query:
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError:
        raise StoreError(
            f"cannot open store {shown}: unknown database kind {url.drivername!r}; "
            "use sqlite:///path.db or postgresql+psycopg://user@host/db"
        ) from None
    except ImportError as exc:
        raise StoreError(
            f"cannot open store {shown}: its driver is not installed ({exc}); "
            "for PostgreSQL install polca[postgres]"
        ) from None
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------- schema version


def _ensure_schema(engine: Engine, *, create: bool, shown: str) -> None:
    """Create the tables on a new database; refuse a database of another schema version."""
    try:
        found = _read_schema_version(engine, shown)
        if found is None and create:
            try:
                _create_schema(engine)
            except DBAPIError:
                log.debug("another process created the schema first; reading it", exc_info=True)
            found = _read_schema_version(engine, shown)
    except DBAPIError as exc:
        raise StoreError(f"cannot open store {shown}: {_first_line(exc)}") from None
    if found is None:
        raise StoreError(f"no store at {shown}: the database has no polca tables")
    if found != SCHEMA_VERSION:
        newer = "a newer" if found > SCHEMA_VERSION else "an older"
        raise SchemaVersionError(
            f"store {shown} has schema version {found}, this polca expects {SCHEMA_VERSION}: "
            f"it was made by {newer} polca. Use that polca version, or point --db / POLCA_DB "
            "at a new database."
        )


def _read_schema_version(engine: Engine, shown: str) -> int | None:
    tables = set(inspect(engine).get_table_names())
    if _SchemaVersion.__tablename__ not in tables:
        clash = sorted(tables & _POLCA_TABLES)
        if clash:
            raise SchemaVersionError(
                f"store {shown} has tables {clash} but no polca schema version: it is not a "
                "polca store (or one too old to read); point --db / POLCA_DB at a new database"
            )
        return None
    with engine.connect() as conn:
        versions = list(conn.scalars(select(_SchemaVersion.version)))
    if not versions:
        return None  # a creation that never finished: _create_schema completes it
    if len(versions) > 1:
        raise SchemaVersionError(
            f"store {shown} holds {len(versions)} schema versions {versions}, expected exactly "
            f"one ({SCHEMA_VERSION}); the database is damaged, point --db at a new database"
        )
    return versions[0]


def _create_schema(engine: Engine) -> None:
    # The version table comes first and its row last: SQLite commits each CREATE on its
    # own, so a creation cut short leaves an empty version table, which the next open
    # finishes instead of mistaking the half-made tables for a foreign database.
    version_table = _SchemaVersion.__table__
    with engine.begin() as conn:
        version_table.create(conn, checkfirst=True)
        _Base.metadata.create_all(conn)
        conn.execute(insert(_SchemaVersion).values(version=SCHEMA_VERSION))
    log.info("created a new polca store (schema version %d)", SCHEMA_VERSION)


# ---------------------------------------------------------------------------- validation


def _aware(value: datetime, where: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(
            f"{where} = {value!r} must be a timezone-aware datetime; use datetime.now(UTC)"
        )
    return value


def _finite(value: Any, where: str, *, minimum: float | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{where} = {value!r} is not a number") from None
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        bound = "" if minimum is None else f" and >= {minimum}"
        raise ValueError(
            f"{where} = {value!r} must be finite{bound}; a failed candidate scores 0 "
            "and keeps its failure in feedback"
        )
    return number


def _json_value(value: Any, where: str) -> Any:
    """``value`` as plain JSON data (numpy values become numbers); a clear error otherwise."""
    try:
        return json.loads(_dumps(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{where} cannot be stored as JSON ({exc}); use str, finite numbers, "
            "bools, None, lists and dicts"
        ) from None


def _finite_metrics(metrics: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``metrics`` with NaN and infinite numbers as None: JSON (and PostgreSQL) has no
    such numbers, and a strange measurement must not cost the run its checkpoint."""
    kept: dict[str, Any] = {}
    for name, value in metrics.items():
        if isinstance(value, float | int) or hasattr(value, "item"):
            try:
                finite = math.isfinite(float(value))
            except (TypeError, ValueError):
                finite = True  # not a number after all: _json_value judges it
            if not finite:
                log.warning(
                    "%s: metric %r = %r stored as None (not a finite number)", where, name, value
                )
                value = None
        kept[name] = value
    return kept


def _strings(values: Any, where: str) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{where} = {values!r} must be a list of strings")
    return list(values)


def _same_run(run_id: str, records: Sequence[Any], what: str) -> None:
    for record in records:
        if record.run_id != run_id:
            raise ValueError(
                f"{what} has run_id {record.run_id!r} but is written to run {run_id!r}; "
                "build records with the run id they belong to"
            )


def _candidate_row(record: CandidateRecord) -> dict[str, Any]:
    where = f"candidate {record.id!r}"
    payload = dict(record.payload)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in payload.items()):
        raise TypeError(f"{where}: payload must map parameter names (str) to texts (str)")
    embedding = None
    if record.embedding is not None:
        embedding = [_finite(x, f"{where} embedding value") for x in record.embedding]
    return {
        "id": record.id,
        "run_id": record.run_id,
        "payload": payload,
        "content_hash": record.content_hash,
        "parents": _strings(record.parents, f"{where} parents"),
        "origin": record.origin,
        "embedding": embedding,
        "iteration": int(record.iteration),
        "note": record.note,
        "created_at": _aware(record.created_at, f"{where} created_at"),
    }


def _evaluation_row(record: EvaluationRecord) -> dict[str, Any]:
    where = f"evaluation of candidate {record.candidate_id!r}"
    return {
        "run_id": record.run_id,
        "candidate_id": record.candidate_id,
        "batch_ids": _strings(record.batch_ids, f"{where} batch_ids"),
        "score": _finite(record.score, f"{where} score"),
        "metrics": _json_value(_finite_metrics(record.metrics, where), f"{where} metrics"),
        "feedback": record.feedback,
        "status": record.status,
        "duration_s": _finite(record.duration_s, f"{where} duration_s", minimum=0.0),
        "error": record.error,
        "iteration": int(record.iteration),
        "created_at": _aware(record.created_at, f"{where} created_at"),
    }


def _summary_row(record: SummaryRecord) -> dict[str, Any]:
    where = f"summary of iteration {record.iteration}"
    return {
        "run_id": record.run_id,
        "iteration": int(record.iteration),
        "text": record.text,
        "reasoning": record.reasoning,
        "candidate_ids": _strings(record.candidate_ids, f"{where} candidate_ids"),
        "created_at": _aware(record.created_at, f"{where} created_at"),
    }


@dataclass(frozen=True)
class _IterationRows:
    candidates: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    summary: dict[str, Any] | None
    state: dict[str, Any] | None


def _iteration_rows(
    run_id: str,
    candidates: Sequence[CandidateRecord],
    evaluations: Sequence[EvaluationRecord],
    summary: SummaryRecord | None,
    state: Mapping[str, Any] | None,
) -> _IterationRows:
    """Check and convert one iteration's records before any of them touches the database."""
    _same_run(run_id, candidates, "a candidate")
    _same_run(run_id, evaluations, "an evaluation")
    _same_run(run_id, [summary] if summary is not None else [], "the summary")
    return _IterationRows(
        candidates=[_candidate_row(c) for c in candidates],
        evaluations=[_evaluation_row(e) for e in evaluations],
        summary=_summary_row(summary) if summary is not None else None,
        state=_json_value(dict(state), "state") if state is not None else None,
    )


# ---------------------------------------------------------------------------- rows to records


def _run_record(row: _Run) -> RunRecord:
    return RunRecord(
        id=row.id,
        kind=row.kind,
        name=row.name,
        status=row.status,
        config=row.config,
        state=row.state,
        best_candidate_id=row.best_candidate_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        iteration=row.iteration,
    )


def _candidate_record(row: _Candidate) -> CandidateRecord:
    return CandidateRecord(
        id=row.id,
        run_id=row.run_id,
        payload=row.payload,
        content_hash=row.content_hash,
        parents=row.parents,
        origin=row.origin,
        embedding=row.embedding,
        iteration=row.iteration,
        note=row.note,
        created_at=row.created_at,
    )


def _evaluation_record(row: _Evaluation) -> EvaluationRecord:
    return EvaluationRecord(
        run_id=row.run_id,
        candidate_id=row.candidate_id,
        batch_ids=row.batch_ids,
        score=row.score,
        metrics=row.metrics,
        feedback=row.feedback,
        status=row.status,
        duration_s=row.duration_s,
        error=row.error,
        iteration=row.iteration,
        id=row.id,
        created_at=row.created_at,
    )


def _summary_record(row: _Summary) -> SummaryRecord:
    return SummaryRecord(
        run_id=row.run_id,
        iteration=row.iteration,
        text=row.text,
        reasoning=row.reasoning,
        candidate_ids=row.candidate_ids,
        created_at=row.created_at,
    )


def _llm_call_record(row: _LLMCall) -> LLMCallRecord:
    return LLMCallRecord(
        run_id=row.run_id,
        purpose=row.purpose,
        model=row.model,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost_usd=row.cost_usd,
        latency_s=row.latency_s,
        cached=row.cached,
        error=row.error,
        created_at=row.created_at,
    )


# ---------------------------------------------------------------------------- the store


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
        self._memory = sqlite and _is_sqlite_memory(engine.url)
        self._write_lock = threading.RLock() if sqlite else None

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
        """Open the store at ``url`` (None: ``polca.config.DEFAULT_DB_URL``).

        ``url`` is any SQLAlchemy URL, or a plain path to a SQLite file. A new database
        gets its tables (the default ``.polca/`` folder is made too); ``create=False``
        raises ``StoreError`` instead. Raises ``StoreError`` for a bad URL or an
        unreachable server and ``SchemaVersionError`` for a store of another version.
        """
        parsed = _parse_url(url)
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite" and not _is_sqlite_memory(parsed):
            is_default = url is None or os.fspath(url) == DEFAULT_DB_URL
            _prepare_sqlite_file(parsed, is_default=is_default, create=create, shown=shown)
        engine = _make_engine(parsed, shown)
        try:
            _ensure_schema(engine, create=create, shown=shown)
        except BaseException:
            engine.dispose()
            raise
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
                raise StoreError(
                    f"{what} refused, nothing was written: {_first_line(exc)}"
                ) from exc
            except DBAPIError as exc:
                doing = f"{what} failed, nothing was written" if write else "read failed"
                raise StoreError(f"store {self.url}: {doing}: {_first_line(exc)}") from exc

    def _resolve_run(self, session: Session, run_id: str) -> _Run:
        """The run with id ``run_id``, or the only run whose id starts with it."""
        if not isinstance(run_id, str) or not run_id.strip():
            raise ValueError(f"run id {run_id!r} is empty; `polca runs list` shows the runs")
        row = session.get(_Run, run_id)
        if row is not None:
            return row
        pattern = re.sub(r"([\\%_])", r"\\\1", run_id) + "%"
        query = select(_Run).where(_Run.id.like(pattern, escape="\\"))
        rows = session.scalars(query.order_by(_Run.created_at.desc()).limit(6)).all()
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
        if session.get(_Run, run_id) is None:
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
        row = _Run(
            id=new_id(),
            kind=kind,
            name=name or "",
            status="running",
            config=_json_value(dict(config), "run config"),
            state={},
            best_candidate_id=None,
            iteration=None,
            created_at=now,
            updated_at=now,
        )
        with self._session(write=True, what=f"creating a {kind} run") as session:
            session.add(row)
        log.info("created %s run %s", kind, row.id)
        return row.id

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id or unique id prefix; ``LookupError`` names an unknown one."""
        with self._session(write=False) as session:
            return _run_record(self._resolve_run(session, run_id))

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        """The ``limit`` newest runs, newest first."""
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit = {limit!r} must be a positive integer")
        query = select(_Run).order_by(_Run.created_at.desc(), _Run.id.desc()).limit(limit)
        with self._session(write=False) as session:
            return [_run_record(row) for row in session.scalars(query)]

    def set_run_status(self, run_id: str, status: RunStatus) -> None:
        """Mark the run ``running``, ``finished``, ``failed`` or ``interrupted``."""
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} is not one of {list(RUN_STATUSES)}")
        with self._session(write=True, what=f"setting run {run_id} {status}") as session:
            self._require_run(session, run_id)
            values = {"status": status, "updated_at": utc_now()}
            session.execute(update(_Run).where(_Run.id == run_id).values(**values))

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
        rows = _iteration_rows(run_id, candidates, evaluations, summary, state)
        self._write(run_id, rows, iteration=iteration, best_candidate_id=best_candidate_id)

    def add_candidates(self, run_id: str, candidates: Sequence[CandidateRecord]) -> None:
        """Write candidates (one transaction) without checkpointing an iteration."""
        self._write(run_id, _iteration_rows(run_id, candidates, (), None, None))

    def add_evaluations(self, run_id: str, evaluations: Sequence[EvaluationRecord]) -> None:
        """Write evaluations (one transaction) without checkpointing an iteration."""
        self._write(run_id, _iteration_rows(run_id, (), evaluations, None, None))

    def add_summary(self, run_id: str, summary: SummaryRecord) -> None:
        """Write a summary without checkpointing an iteration."""
        self._write(run_id, _iteration_rows(run_id, (), (), summary, None))

    def _write(
        self,
        run_id: str,
        rows: _IterationRows,
        *,
        iteration: int | None = None,
        best_candidate_id: str | None = None,
    ) -> None:
        what = (
            f"writing iteration {iteration} of run {run_id}"
            if iteration is not None
            else (f"writing to run {run_id}")
        )
        with self._session(write=True, what=what) as session:
            self._require_run(session, run_id)
            if rows.candidates:
                session.execute(insert(_Candidate), rows.candidates)
            if rows.evaluations:
                session.execute(insert(_Evaluation), rows.evaluations)
            if rows.summary is not None:
                session.execute(insert(_Summary), [rows.summary])
            if iteration is not None or rows.state is not None or best_candidate_id is not None:
                values = self._run_update(session, run_id, rows, iteration, best_candidate_id)
                session.execute(update(_Run).where(_Run.id == run_id).values(**values))
        log.debug(
            "%s: %d candidates, %d evaluations", what, len(rows.candidates), len(rows.evaluations)
        )

    def _run_update(
        self,
        session: Session,
        run_id: str,
        rows: _IterationRows,
        iteration: int | None,
        best_candidate_id: str | None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {"updated_at": utc_now()}
        if iteration is not None:
            values["iteration"] = iteration
        if rows.state is not None:
            values["state"] = rows.state
        if best_candidate_id is not None:
            known = select(_Candidate.pk).where(
                _Candidate.run_id == run_id, _Candidate.id == best_candidate_id
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
        for name, tokens in (
            ("prompt_tokens", prompt_tokens),
            ("completion_tokens", completion_tokens),
        ):
            if not isinstance(tokens, int) or tokens < 0:
                raise ValueError(f"{name} = {tokens!r} must be an integer >= 0")
        row = {
            "run_id": run_id,
            "purpose": purpose,
            "model": model,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "cost_usd": _finite(cost_usd, "cost_usd", minimum=0.0),
            "latency_s": _finite(latency_s, "latency_s", minimum=0.0),
            "cached": bool(cached),
            "error": error,
            "created_at": utc_now(),
        }
        with self._session(write=True, what=f"recording a {purpose} call") as session:
            if run_id is not None:
                self._require_run(session, run_id)
            session.execute(insert(_LLMCall), [row])

    # -- reads

    def candidates(self, run_id: str) -> list[CandidateRecord]:
        """The run's candidates in the order they were written."""
        query = select(_Candidate).where(_Candidate.run_id == run_id).order_by(_Candidate.pk)
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            return [_candidate_record(row) for row in session.scalars(query)]

    def evaluations(self, run_id: str, candidate_id: str | None = None) -> list[EvaluationRecord]:
        """The run's evaluations (of one candidate, if given) in the order they were written."""
        query = select(_Evaluation).where(_Evaluation.run_id == run_id)
        if candidate_id is not None:
            query = query.where(_Evaluation.candidate_id == candidate_id)
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            return [_evaluation_record(r) for r in session.scalars(query.order_by(_Evaluation.id))]

    def summaries(self, run_id: str) -> list[SummaryRecord]:
        """The run's summaries in the order they were written."""
        query = select(_Summary).where(_Summary.run_id == run_id).order_by(_Summary.id)
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            return [_summary_record(row) for row in session.scalars(query)]

    def llm_calls(self, run_id: str | None) -> list[LLMCallRecord]:
        """The run's model calls in the order they were recorded (None: calls outside runs)."""
        query = select(_LLMCall).where(
            _LLMCall.run_id.is_(None) if run_id is None else _LLMCall.run_id == run_id
        )
        with self._session(write=False) as session:
            if run_id is not None:
                self._require_run(session, run_id)
            return [_llm_call_record(row) for row in session.scalars(query.order_by(_LLMCall.id))]

    def llm_usage(self, run_id: str | None) -> dict[str, Any]:
        """Totals of the run's model calls (None: calls outside runs).

        Returns ``{"calls", "prompt_tokens", "completion_tokens", "cost_usd"}``.
        """
        with self._session(write=False) as session:
            if run_id is not None:
                self._require_run(session, run_id)
            return self._usage(session, [run_id]).get(run_id, _no_usage())

    def candidate_scores(self, run_id: str) -> list[CandidateScore]:
        """Each evaluated candidate's mean score over all its evaluations, best first."""
        with self._session(write=False) as session:
            self._require_run(session, run_id)
            scores = self._scores(session, [run_id]).get(run_id, [])
        return sorted(scores, key=lambda s: (-s.mean_score, -s.evaluations, s.candidate_id))

    def run_stats(self, run_ids: Sequence[str]) -> dict[str, RunStats]:
        """Counts, best mean score and LLM cost of each run in ``run_ids`` (unknown ids omitted)."""
        ids = list(run_ids)
        with self._session(write=False) as session:
            best = dict(
                session.execute(
                    select(_Run.id, _Run.best_candidate_id).where(_Run.id.in_(ids))
                ).all()
            )
            counts = dict(
                session.execute(
                    select(_Candidate.run_id, func.count())
                    .where(_Candidate.run_id.in_(ids))
                    .group_by(_Candidate.run_id)
                ).all()
            )
            scores = self._scores(session, ids)
            usage = self._usage(session, ids)
        return {
            run_id: _run_stats(
                run_id,
                counts.get(run_id, 0),
                scores.get(run_id, []),
                best_id,
                usage.get(run_id, _no_usage()),
            )
            for run_id, best_id in best.items()
        }

    def _scores(self, session: Session, run_ids: list[str]) -> dict[str, list[CandidateScore]]:
        query = (
            select(
                _Evaluation.run_id,
                _Evaluation.candidate_id,
                func.avg(_Evaluation.score),
                func.count(),
            )
            .where(_Evaluation.run_id.in_(run_ids))
            .group_by(_Evaluation.run_id, _Evaluation.candidate_id)
        )
        scores: dict[str, list[CandidateScore]] = {}
        for run_id, candidate_id, mean, count in session.execute(query):
            scores.setdefault(run_id, []).append(CandidateScore(candidate_id, float(mean), count))
        return scores

    def _usage(
        self, session: Session, run_ids: list[str | None]
    ) -> dict[str | None, dict[str, Any]]:
        known = [r for r in run_ids if r is not None]
        where = _LLMCall.run_id.in_(known)
        if None in run_ids:
            where = where | _LLMCall.run_id.is_(None)
        query = (
            select(
                _LLMCall.run_id,
                func.count(),
                func.sum(_LLMCall.prompt_tokens),
                func.sum(_LLMCall.completion_tokens),
                func.sum(_LLMCall.cost_usd),
            )
            .where(where)
            .group_by(_LLMCall.run_id)
        )
        return {
            run_id: {
                "calls": calls,
                "prompt_tokens": int(prompt or 0),
                "completion_tokens": int(completion or 0),
                "cost_usd": float(cost or 0.0),
            }
            for run_id, calls, prompt, completion, cost in session.execute(query)
        }


def _no_usage() -> dict[str, Any]:
    return {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0}


def _run_stats(
    run_id: str,
    candidates: int,
    scores: list[CandidateScore],
    best_candidate_id: str | None,
    usage: dict[str, Any],
) -> RunStats:
    means = {s.candidate_id: s.mean_score for s in scores}
    if best_candidate_id in means:
        best_score: float | None = means[best_candidate_id]
    else:
        best_score = max(means.values(), default=None)
    return RunStats(
        run_id=run_id,
        candidates=candidates,
        evaluations=sum(s.evaluations for s in scores),
        best_score=best_score,
        llm_calls=usage["calls"],
        cost_usd=usage["cost_usd"],
    )
