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

The package, each module readable alone: ``records`` (what callers pass and get back,
errors, value checks), ``schema`` (tables, schema version, engines and URLs), ``rows``
(records to rows and back, in one generic mapper), ``stats`` (aggregate queries) and
``facade`` (``Store``). Import from ``polca.store`` itself; the modules are its inside.
"""

from polca.store.facade import Store
from polca.store.records import (
    RUN_STATUSES,
    CandidateRecord,
    CandidateScore,
    EvaluationRecord,
    LLMCallRecord,
    RunRecord,
    RunStats,
    RunStatus,
    SchemaVersionError,
    StoreError,
    SummaryRecord,
    new_id,
    utc_now,
)
from polca.store.schema import CONNECT_TIMEOUT_S, SCHEMA_VERSION, SQLITE_BUSY_TIMEOUT_S

__all__ = [
    "CONNECT_TIMEOUT_S",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "SQLITE_BUSY_TIMEOUT_S",
    "CandidateRecord",
    "CandidateScore",
    "EvaluationRecord",
    "LLMCallRecord",
    "RunRecord",
    "RunStats",
    "RunStatus",
    "SchemaVersionError",
    "Store",
    "StoreError",
    "SummaryRecord",
    "new_id",
    "utc_now",
]
