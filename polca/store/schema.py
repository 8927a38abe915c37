"""The database side: ORM models, the schema version, and opening an engine on a URL.

``open_engine`` turns a URL (or a plain SQLite path, or None for the default) into an
engine whose schema is checked: a new database gets its tables, an older store is migrated
forward (``_MIGRATIONS``), a store of a newer schema version raises ``SchemaVersionError``.
SQLite runs in WAL mode, so readers never wait on the writer and a killed process loses at
most its open transaction.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
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
    false,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateColumn

from polca.config import DEFAULT_DB_URL
from polca.store.records import SchemaVersionError, StoreError, dumps

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: evaluations.exact
SQLITE_BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10


# ---------------------------------------------------------------------------- models


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


class Base(DeclarativeBase):
    """The polca tables' metadata."""

    type_annotation_map = {datetime: _UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class SchemaVersionRow(Base):
    __tablename__ = "polca_schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class RunRow(Base):
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


class CandidateRow(Base):
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


class EvaluationRow(Base):
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
    exact: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class SummaryRow(Base):
    __tablename__ = "summaries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    iteration: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text)
    candidate_ids: Mapped[list[str]]
    created_at: Mapped[datetime]


class LLMCallRow(Base):
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


_POLCA_TABLES = {table.name for table in Base.metadata.sorted_tables}


# ---------------------------------------------------------------------------- opening


def open_engine(url: str | os.PathLike[str] | None, *, create: bool) -> tuple[Engine, str]:
    """An engine on ``url`` whose schema is checked, and the URL as shown (no password).

    ``url`` is any SQLAlchemy URL, a plain path to a SQLite file, or None for
    ``polca.config.DEFAULT_DB_URL`` (whose ``.polca/`` folder is made). A new database
    gets its tables unless ``create`` is False. Raises ``StoreError`` for a bad URL or an
    unreachable server and ``SchemaVersionError`` for a store of another version.
    """
    parsed = _parse_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and not is_sqlite_memory(parsed):
        is_default = url is None or os.fspath(url) == DEFAULT_DB_URL
        _prepare_sqlite_file(parsed, is_default=is_default, create=create, shown=shown)
    engine = _make_engine(parsed, shown)
    try:
        _ensure_schema(engine, create=create, shown=shown)
    except BaseException:
        engine.dispose()
        raise
    return engine, shown


def is_sqlite_memory(url: URL) -> bool:
    """Whether ``url`` names an in-memory SQLite database."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def first_line(exc: BaseException) -> str:
    """The first line of a database error's message, for one-line ``StoreError`` messages."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
    kwargs: dict[str, Any] = {"json_serializer": dumps}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if is_sqlite_memory(url):
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


# ---------------------------------------------------------------------------- schema version


def _ensure_schema(engine: Engine, *, create: bool, shown: str) -> None:
    """Create the tables on a new database, migrate an older one; refuse a newer one."""
    try:
        found = _read_schema_version(engine, shown)
        if found is None and create:
            try:
                _create_schema(engine)
            except DBAPIError:
                log.debug("another process created the schema first; reading it", exc_info=True)
            found = _read_schema_version(engine, shown)
        if found in _MIGRATIONS:
            found = _migrate(engine, found, shown)
    except DBAPIError as exc:
        raise StoreError(f"cannot open store {shown}: {first_line(exc)}") from None
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
    if SchemaVersionRow.__tablename__ not in tables:
        clash = sorted(tables & _POLCA_TABLES)
        if clash:
            raise SchemaVersionError(
                f"store {shown} has tables {clash} but no polca schema version: it is not a "
                "polca store (or one too old to read); point --db / POLCA_DB at a new database"
            )
        return None
    with engine.connect() as conn:
        versions = list(conn.scalars(select(SchemaVersionRow.version)))
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
    version_table = SchemaVersionRow.__table__
    with engine.begin() as conn:
        version_table.create(conn, checkfirst=True)
        Base.metadata.create_all(conn)
        conn.execute(insert(SchemaVersionRow).values(version=SCHEMA_VERSION))
    log.info("created a new polca store (schema version %d)", SCHEMA_VERSION)


# ---------------------------------------------------------------------------- migrations


def _add_evaluations_exact(conn: Connection) -> None:
    if "exact" in {column["name"] for column in inspect(conn).get_columns("evaluations")}:
        return  # added by an open that stopped before its version row (SQLite)
    column = Column("exact", Boolean(), nullable=False, server_default=false())
    spec = CreateColumn(column).compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE evaluations ADD COLUMN {spec}"))


# Version N -> the step that takes a store from N to N + 1. Steps are additive and may be
# run again over their own half-done work: SQLite commits an ALTER TABLE on its own, so an
# open killed between a step and its version row leaves the step done and the old version.
_MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _add_evaluations_exact}


def _migrate(engine: Engine, found: int, shown: str) -> int:
    """Run the steps from version ``found`` up; the version the store has afterwards."""
    while found in _MIGRATIONS:
        try:
            with engine.begin() as conn:  # one transaction where the backend allows DDL in one
                _MIGRATIONS[found](conn)
                conn.execute(
                    update(SchemaVersionRow)
                    .where(SchemaVersionRow.version == found)
                    .values(version=found + 1)
                )
        except DBAPIError as exc:
            again = _read_schema_version(engine, shown)
            if again is None or again <= found:
                raise StoreError(
                    f"cannot migrate store {shown} from schema version {found}: {first_line(exc)}"
                ) from None
            log.debug("another process migrated the store first", exc_info=True)
            found = again
            continue
        log.info("migrated store %s from schema version %d to %d", shown, found, found + 1)
        found += 1
    return found
