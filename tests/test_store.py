"""The store on SQLite and PostgreSQL: round trips, atomic checkpoints, crash safety, errors."""

from __future__ import annotations

import math
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Table,
    create_engine,
    insert,
    text,
)

from polca.store import (
    SCHEMA_VERSION,
    CandidateRecord,
    EvaluationRecord,
    SchemaVersionError,
    Store,
    StoreError,
    SummaryRecord,
)
from polca.store.schema import Base


def _candidate(run_id: str, cid: str, iteration: int = 0, parents: tuple[str, ...] = ()):
    return CandidateRecord(
        id=cid,
        run_id=run_id,
        payload={"code": f"def f(): return {cid!r}"},
        content_hash=f"hash-{cid}",
        parents=list(parents),
        origin="seed" if not parents else "llm",
        embedding=[0.6, 0.8],
        iteration=iteration,
        note=f"why {cid}",
    )


def _evaluation(run_id: str, cid: str, score: float, iteration: int = 0, **extra):
    fields = {
        "batch_ids": ["b0", "b1"],
        "metrics": {"speedup": score, "checks": {"passed": 3}},
        "feedback": f"{cid} scored {score}",
        "duration_s": 0.25,
        "iteration": iteration,
    }
    return EvaluationRecord(run_id=run_id, candidate_id=cid, score=score, **{**fields, **extra})


def _counts(store: Store, run_id: str) -> tuple[int, int, int]:
    return (
        len(store.candidates(run_id)),
        len(store.evaluations(run_id)),
        len(store.summaries(run_id)),
    )


# ---------------------------------------------------------------------------- round trips


def test_run_round_trip_with_checkpoint(store):
    run_id = store.create_run("program", {"budget": 10, "model": None}, name="speed up f")
    seed = _candidate(run_id, "seed")
    store.write_iteration(
        run_id,
        iteration=0,
        candidates=[seed],
        evaluations=[_evaluation(run_id, "seed", 1.0)],
        state={"queue": [["seed", 1.0]], "rng": [1, 2, 3]},
        best_candidate_id="seed",
    )
    run = store.get_run(run_id)
    assert (run.id, run.kind, run.name, run.status) == (run_id, "program", "speed up f", "running")
    assert run.config == {"budget": 10, "model": None}
    assert run.state == {"queue": [["seed", 1.0]], "rng": [1, 2, 3]}
    assert run.best_candidate_id == "seed"
    assert run.iteration == 0
    assert run.created_at.tzinfo is not None and run.created_at.utcoffset().total_seconds() == 0
    assert run.updated_at >= run.created_at


def test_candidates_round_trip_in_write_order(store):
    run_id = store.create_run("prompt", {})
    written = [_candidate(run_id, "b"), _candidate(run_id, "a", 1, parents=("b",))]
    store.add_candidates(run_id, written)
    read = store.candidates(run_id)
    assert [c.id for c in read] == ["b", "a"]
    assert read[1].payload == written[1].payload
    assert read[1].parents == ["b"] and read[1].origin == "llm"
    assert read[1].embedding == [0.6, 0.8]
    assert (read[1].iteration, read[1].note, read[1].content_hash) == (1, "why a", "hash-a")
    assert read[1].created_at == written[1].created_at


def test_evaluations_round_trip_in_insertion_order(store):
    run_id = store.create_run("program", {})
    store.add_candidates(run_id, [_candidate(run_id, "x"), _candidate(run_id, "y")])
    scores = [("y", 2.0), ("x", 0.0), ("y", 3.0)]
    failed = _evaluation(run_id, "x", 0.0, status="failed", error="AssertionError: wrong output")
    store.add_evaluations(run_id, [_evaluation(run_id, c, s) for c, s in scores] + [failed])
    read = store.evaluations(run_id)
    assert [(e.candidate_id, e.score) for e in read] == [*scores, ("x", 0.0)]
    assert [e.id for e in read] == sorted(e.id for e in read)
    assert read[0].metrics == {"speedup": 2.0, "checks": {"passed": 3}}
    assert read[0].batch_ids == ["b0", "b1"] and read[0].duration_s == 0.25
    assert (read[3].status, read[3].error) == ("failed", "AssertionError: wrong output")
    assert [e.score for e in store.evaluations(run_id, candidate_id="y")] == [2.0, 3.0]


def test_summaries_round_trip(store):
    run_id = store.create_run("program", {})
    summary = SummaryRecord(run_id, 3, "vectorize the loop", "x beat y twice", ["x", "y"])
    store.add_summary(run_id, summary)
    [read] = store.summaries(run_id)
    assert (read.iteration, read.text, read.reasoning) == (
        3,
        "vectorize the loop",
        "x beat y twice",
    )
    assert read.candidate_ids == ["x", "y"]


def test_llm_calls_round_trip_and_usage(store):
    run_id = store.create_run("program", {})
    call = dict(purpose="propose", model="openai/gpt-4o-mini", cached=False, error=None)
    store.record_llm_call(
        run_id, **call, prompt_tokens=100, completion_tokens=20, cost_usd=0.5, latency_s=1.5
    )
    store.record_llm_call(
        run_id,
        **{**call, "cached": True, "error": "timeout"},
        prompt_tokens=10,
        completion_tokens=0,
        cost_usd=0.25,
        latency_s=0.0,
    )
    store.record_llm_call(
        None, **call, prompt_tokens=7, completion_tokens=7, cost_usd=1.0, latency_s=1.0
    )
    first, second = store.llm_calls(run_id)
    assert (first.purpose, first.model, first.prompt_tokens, first.latency_s) == (
        "propose",
        "openai/gpt-4o-mini",
        100,
        1.5,
    )
    assert (second.cached, second.error) == (True, "timeout")
    assert store.llm_usage(run_id) == {
        "calls": 2,
        "prompt_tokens": 110,
        "completion_tokens": 20,
        "cost_usd": 0.75,
    }
    assert store.llm_usage(None)["calls"] == 1
    assert [c.prompt_tokens for c in store.llm_calls(None)] == [7]


def test_numpy_values_are_stored_as_plain_numbers(store):
    run_id = store.create_run("program", {})
    candidate = CandidateRecord(
        "np", run_id, {"code": "pass"}, "h", embedding=list(np.array([0.6, 0.8], np.float32))
    )
    evaluation = EvaluationRecord(run_id, "np", ["b"], np.float64(1.5), {"t": np.float32(2.0)})
    store.write_iteration(run_id, iteration=0, candidates=[candidate], evaluations=[evaluation])
    [read] = store.evaluations(run_id)
    assert read.score == 1.5 and read.metrics == {"t": 2.0}
    assert store.candidates(run_id)[0].embedding == pytest.approx([0.6, 0.8])


def test_non_finite_metrics_are_stored_as_none(store, caplog):
    run_id = store.create_run("program", {})
    evaluation = _evaluation(run_id, "a", 0.0, metrics={"speedup": math.inf, "t": math.nan, "n": 2})
    store.write_iteration(
        run_id, iteration=0, candidates=[_candidate(run_id, "a")], evaluations=[evaluation]
    )
    assert store.evaluations(run_id)[0].metrics == {"speedup": None, "t": None, "n": 2}
    assert "metric 'speedup' = inf stored as None" in caplog.text


def test_list_runs_newest_first_with_limit(store):
    ids = [store.create_run("program", {"i": i}) for i in range(4)]
    assert [r.id for r in store.list_runs()] == ids[::-1]
    assert [r.id for r in store.list_runs(limit=2)] == ids[:1:-1]
    with pytest.raises(ValueError, match="positive integer"):
        store.list_runs(limit=0)


def test_run_status_changes_and_rejects_unknown_status(store):
    run_id = store.create_run("kernel", {})
    store.set_run_status(run_id, "interrupted")
    assert store.get_run(run_id).status == "interrupted"
    with pytest.raises(ValueError, match="'done' is not one of"):
        store.set_run_status(run_id, "done")


def test_run_stats_and_candidate_scores(store):
    run_id = store.create_run("program", {})
    store.write_iteration(
        run_id,
        iteration=0,
        candidates=[_candidate(run_id, "a"), _candidate(run_id, "b", parents=("a",))],
        evaluations=[_evaluation(run_id, c, s) for c, s in [("a", 1.0), ("b", 3.0), ("b", 1.0)]],
        best_candidate_id="a",
    )
    store.record_llm_call(
        run_id,
        purpose="propose",
        model="m",
        prompt_tokens=1,
        completion_tokens=1,
        cost_usd=0.5,
        latency_s=0.1,
        cached=False,
        error=None,
    )
    scores = store.candidate_scores(run_id)
    assert [(s.candidate_id, s.mean_score, s.evaluations) for s in scores] == [
        ("b", 2.0, 2),
        ("a", 1.0, 1),
    ]
    stats = store.run_stats([run_id, "no-such-run"])[run_id]
    assert (stats.candidates, stats.evaluations, stats.llm_calls) == (2, 3, 1)
    assert stats.best_score == 1.0  # the run named "a" its best
    assert stats.cost_usd == 0.5


# ---------------------------------------------------------------------------- lookup


def test_get_run_accepts_a_unique_prefix(store):
    run_id = store.create_run("program", {})
    assert store.get_run(run_id[:5]).id == run_id


def test_ambiguous_prefix_and_unknown_run_raise_lookup_error(store):
    ids = [store.create_run("program", {}) for _ in range(17)]  # two must share a first digit
    shared = next(i[0] for i in ids if sum(j[0] == i[0] for j in ids) > 1)
    with pytest.raises(LookupError, match="matches several runs"):
        store.get_run(shared)
    with pytest.raises(LookupError, match="no run 'zz%'"):
        store.get_run("zz%")
    with pytest.raises(LookupError, match="no run 'nope'"):
        store.candidates("nope")


# ---------------------------------------------------------------------------- atomicity


def test_write_iteration_is_all_or_nothing_on_a_duplicate_candidate(store):
    run_id = store.create_run("program", {})
    store.write_iteration(
        run_id,
        iteration=0,
        candidates=[_candidate(run_id, "seed")],
        evaluations=[_evaluation(run_id, "seed", 1.0)],
        state={"step": 0},
    )
    with pytest.raises(StoreError, match="nothing was written"):
        store.write_iteration(
            run_id,
            iteration=1,
            candidates=[_candidate(run_id, "new", 1, ("seed",)), _candidate(run_id, "seed", 1)],
            evaluations=[_evaluation(run_id, "new", 5.0, 1)],
            summary=SummaryRecord(run_id, 1, "advice"),
            state={"step": 1},
        )
    assert _counts(store, run_id) == (1, 1, 0)
    run = store.get_run(run_id)
    assert (run.state, run.iteration) == ({"step": 0}, 0)


def test_evaluation_of_an_unknown_candidate_is_refused_whole(store):
    run_id = store.create_run("program", {})
    with pytest.raises(StoreError, match="refused"):
        store.write_iteration(
            run_id,
            iteration=0,
            candidates=[_candidate(run_id, "a")],
            evaluations=[_evaluation(run_id, "ghost", 1.0)],
        )
    assert _counts(store, run_id) == (0, 0, 0)


def test_unknown_best_candidate_leaves_nothing_written(store):
    run_id = store.create_run("program", {})
    with pytest.raises(ValueError, match="'ghost' is not a candidate"):
        store.write_iteration(
            run_id, iteration=0, candidates=[_candidate(run_id, "a")], best_candidate_id="ghost"
        )
    assert _counts(store, run_id) == (0, 0, 0)
    assert store.get_run(run_id).iteration is None


@pytest.mark.parametrize(
    ("record", "error", "message"),
    [
        (lambda r: _evaluation("other-run", "a", 1.0), ValueError, "has run_id 'other-run'"),
        (lambda r: _evaluation(r, "a", math.nan), ValueError, "score = nan must be finite"),
        (lambda r: _evaluation(r, "a", 1.0, metrics={"x": [math.inf]}), ValueError, "as JSON"),
        (lambda r: _evaluation(r, "a", 1.0, metrics={"x": object()}), ValueError, "as JSON"),
        (
            lambda r: _evaluation(r, "a", 1.0, created_at=datetime(2026, 1, 1)),
            ValueError,
            "timezone-aware",
        ),
        (lambda r: _evaluation(r, "a", 1.0, batch_ids="b0"), TypeError, "list of strings"),
    ],
)
def test_bad_records_are_rejected_before_writing(store, record, error, message):
    run_id = store.create_run("program", {})
    with pytest.raises(error, match=message):
        store.write_iteration(
            run_id, iteration=0, candidates=[_candidate(run_id, "a")], evaluations=[record(run_id)]
        )
    assert _counts(store, run_id) == (0, 0, 0)


def test_writing_to_an_unknown_run_raises_lookup_error(store):
    with pytest.raises(LookupError, match="no run 'nope'"):
        store.add_candidates("nope", [_candidate("nope", "a")])


def test_concurrent_llm_calls_from_threads_are_all_counted(store):
    run_id = store.create_run("program", {})
    threads_n, calls_n = 8, 15

    def worker() -> None:
        for _ in range(calls_n):
            store.record_llm_call(
                run_id,
                purpose="propose",
                model="m",
                prompt_tokens=3,
                completion_tokens=2,
                cost_usd=0.125,
                latency_s=0.01,
                cached=False,
                error=None,
            )

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = store.llm_usage(run_id)
    total = threads_n * calls_n
    assert usage == {
        "calls": total,
        "prompt_tokens": 3 * total,
        "completion_tokens": 2 * total,
        "cost_usd": 0.125 * total,
    }


# ---------------------------------------------------------------------------- opening


def test_reopening_keeps_everything(store_url):
    with Store.open(store_url) as first:
        run_id = first.create_run("program", {"k": "v"})
        first.add_candidates(run_id, [_candidate(run_id, "a")])
    with Store.open(store_url, create=False) as again:
        assert again.get_run(run_id).config == {"k": "v"}
        assert [c.id for c in again.candidates(run_id)] == ["a"]


def test_schema_version_mismatch_says_found_expected_and_fix(store_url):
    Store.open(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE polca_schema_version SET version = 999"))
    engine.dispose()
    with pytest.raises(SchemaVersionError) as info:
        Store.open(store_url)
    message = str(info.value)
    assert "999" in message and f"expects {SCHEMA_VERSION}" in message
    assert "new database" in message
    assert _stored_versions(store_url) == [999]  # a newer store is left as it was


def _schema_1_tables() -> MetaData:
    """The tables as schema 1 (polca before evaluations.exact) made them."""
    v1 = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name != "evaluations":
            table.to_metadata(v1)
    current = Base.metadata.tables["evaluations"]
    columns = [c for c in current.c if c.name != "exact"]
    Table(
        "evaluations",
        v1,
        *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in columns),
        ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["run_id", "candidate_id"], ["candidates.run_id", "candidates.id"], ondelete="CASCADE"
        ),
        Index("ix_evaluations_run_id_candidate_id", "run_id", "candidate_id"),
    )
    return v1


def _write_schema_1_store(url: str) -> None:
    """A schema 1 store holding run r1: candidate seed, evaluated twice."""
    v1 = _schema_1_tables()
    now = datetime(2026, 12, 1, 12, 0)
    run = {"id": "r1", "kind": "program", "name": "old run", "status": "done"}
    run |= {"config": {"budget": 4}, "state": {}, "best_candidate_id": "seed", "iteration": 1}
    seed = {"run_id": "r1", "id": "seed", "payload": {"code": "x = 1"}, "content_hash": "h"}
    seed |= {"parents": [], "origin": "seed", "embedding": None, "iteration": 0, "note": ""}
    evaluation = {"run_id": "r1", "candidate_id": "seed", "batch_ids": ["b0"], "feedback": ""}
    evaluation |= {"status": "ok", "duration_s": 0.5, "error": None, "created_at": now}
    engine = create_engine(url)
    with engine.begin() as conn:
        v1.create_all(conn)
        conn.execute(insert(v1.tables["polca_schema_version"]).values(version=1))
        conn.execute(insert(v1.tables["runs"]).values(**run, created_at=now, updated_at=now))
        conn.execute(insert(v1.tables["candidates"]).values(**seed, created_at=now))
        conn.execute(
            insert(v1.tables["evaluations"]),
            [
                {**evaluation, "score": score, "metrics": {"speedup": score}, "iteration": i}
                for i, score in enumerate([1.0, 1.5])
            ],
        )
    engine.dispose()


def _stored_versions(url: str) -> list[int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        versions = list(conn.scalars(text("SELECT version FROM polca_schema_version")))
    engine.dispose()
    return versions


def _assert_migrated_run_reads_back(url: str) -> None:
    with Store.open(url, create=False) as store:
        assert store.get_run("r1").config == {"budget": 4}
        assert [c.id for c in store.candidates("r1")] == ["seed"]
        read = store.evaluations("r1")
        assert [(e.score, e.exact) for e in read] == [(1.0, False), (1.5, False)]
        store.add_evaluations("r1", [_evaluation("r1", "seed", 1.0, exact=True)])
        assert [e.exact for e in store.evaluations("r1")] == [False, False, True]
    assert _stored_versions(url) == [SCHEMA_VERSION]


def test_a_schema_1_store_is_migrated_on_open_and_keeps_its_runs(store_url):
    _write_schema_1_store(store_url)
    _assert_migrated_run_reads_back(store_url)
    with Store.open(store_url) as again:  # a migrated store opens as any other
        assert len(again.evaluations("r1")) == 3


def test_a_migration_cut_short_after_its_column_is_finished_on_the_next_open(store_url):
    _write_schema_1_store(store_url)
    engine = create_engine(store_url)
    with engine.begin() as conn:  # what a SQLite open killed between its two statements leaves
        conn.execute(
            text("ALTER TABLE evaluations ADD COLUMN exact BOOLEAN DEFAULT FALSE NOT NULL")
        )
    engine.dispose()
    assert _stored_versions(store_url) == [1]
    _assert_migrated_run_reads_back(store_url)


def test_a_foreign_database_with_a_runs_table_is_refused(store_url):
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE runs (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="not a polca store"):
        Store.open(store_url)


def test_open_without_create_refuses_an_empty_location(store_url):
    with pytest.raises(StoreError, match="no store at"):
        Store.open(store_url, create=False)


def test_default_url_makes_the_polca_folder_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Store.open() as store:
        store.create_run("program", {})
    path = tmp_path / ".polca" / "polca.db"
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_plain_path_is_a_sqlite_file(tmp_path):
    path = tmp_path / "runs.db"
    with Store.open(path) as store:
        run_id = store.create_run("program", {})
    with Store.open(str(path)) as store:
        assert store.get_run(run_id).kind == "program"


def test_in_memory_store_works_across_threads():
    with Store.open("sqlite://") as store:
        run_id = store.create_run("program", {})
        threads = [
            threading.Thread(target=store.add_candidates, args=(run_id, [_candidate(run_id, c)]))
            for c in "abcd"
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(c.id for c in store.candidates(run_id)) == list("abcd")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nosuchdb://host/x", "unknown database kind 'nosuchdb'"),
        ("sqlite:////no/such/folder/x.db", "folder /no/such/folder does not exist"),
        ("", "is empty"),
    ],
)
def test_bad_url_raises_store_error(url, message):
    with pytest.raises(StoreError, match=message):
        Store.open(url)


def test_unreachable_server_error_hides_the_password():
    url = "postgres://polca:s3cret@127.0.0.1:1/polca?connect_timeout=2"
    with pytest.raises(StoreError) as info:
        Store.open(url)
    message = str(info.value)
    assert "cannot open store postgresql+psycopg://polca:***@127.0.0.1:1/polca" in message
    assert "s3cret" not in message and "\n" not in message


# ---------------------------------------------------------------------------- crash safety

_WRITER = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from polca.store import CandidateRecord, EvaluationRecord, Store

    url, run_id, committed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store.open(url)

    def iteration(i):
        cid = f"c{i}"
        store.write_iteration(
            run_id, iteration=i, state={"done": i},
            candidates=[CandidateRecord(cid, run_id, {"code": str(i)}, f"h{i}", iteration=i)],
            evaluations=[EvaluationRecord(run_id, cid, ["b"], float(i), iteration=i)],
        )

    for i in range(committed):
        iteration(i)

    @event.listens_for(Engine, "after_cursor_execute")
    def block_inside_the_transaction(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO EVALUATIONS"):
            print("blocked", flush=True)
            time.sleep(600)

    iteration(committed)
    """
)


def test_a_writer_killed_mid_transaction_leaves_exactly_the_committed_rows(store_url, tmp_path):
    with Store.open(store_url) as store:
        run_id = store.create_run("program", {})
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    writer = subprocess.Popen(
        [sys.executable, str(script), store_url, run_id, "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = writer.stdout.readline().strip()
        assert line == "blocked", writer.stderr.read()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    with Store.open(store_url) as store:
        assert [c.id for c in store.candidates(run_id)] == ["c0", "c1", "c2"]
        assert [e.score for e in store.evaluations(run_id)] == [0.0, 1.0, 2.0]
        run = store.get_run(run_id)
        assert (run.iteration, run.state) == (2, {"done": 2})
        store.write_iteration(  # the resumed run writes the lost iteration again
            run_id, iteration=3, candidates=[_candidate(run_id, "c3", 3)], state={"done": 3}
        )
        assert store.get_run(run_id).state == {"done": 3}


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot open store .*not a database"):
        Store.open(path)
