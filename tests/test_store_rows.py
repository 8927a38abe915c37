"""The store's one record<->row mapper: every record round-trips, every check is wired."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import UTC, datetime

import pytest

from polca.store import (
    CandidateRecord,
    EvaluationRecord,
    LLMCallRecord,
    RunRecord,
    SummaryRecord,
)
from polca.store.rows import TABLES, to_record, to_row

_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

_RECORDS = [
    RunRecord("r1", "program", "n", "running", {"budget": 3}, {"step": 1}, "c1", _AT, _AT, 2),
    CandidateRecord("c1", "r1", {"code": "pass"}, "h", ["c0"], "llm", [0.6, 0.8], 1, "why", _AT),
    EvaluationRecord("r1", "c1", ["b0"], 1.5, {"t": 2.0}, "ok!", "ok", 0.25, None, 1, None, _AT),
    SummaryRecord("r1", 1, "advice", "because", ["c0", "c1"], _AT),
    LLMCallRecord("r1", "propose", "m", 10, 5, 0.01, 0.5, True, None, _AT),
]


def test_every_record_type_is_mapped():
    assert {type(r) for r in _RECORDS} == set(TABLES)


@pytest.mark.parametrize("record", _RECORDS, ids=lambda r: type(r).__name__)
def test_every_record_round_trips_through_its_row_unchanged(record):
    row = TABLES[type(record)].model(**to_row(record))
    assert to_record(type(record), row) == record


@pytest.mark.parametrize("record_type", list(TABLES), ids=lambda t: t.__name__)
def test_every_record_field_is_a_column_and_every_check_a_field(record_type):
    table = TABLES[record_type]
    names = {f.name for f in fields(record_type)}
    assert names <= set(table.model.__table__.columns.keys())
    assert set(table.checks) | table.generated <= names  # a misspelled check would never run


def test_fields_the_database_fills_are_not_written():
    assert "id" not in to_row(_RECORDS[2])


@pytest.mark.parametrize(
    ("record", "error", "message"),
    [
        (CandidateRecord("c", "r", {"code": 1}, "h"), TypeError, "'c' payload must map"),
        (CandidateRecord("c", "r", {}, "h", parents="c0"), TypeError, "parents .* list of str"),
        (
            CandidateRecord("c", "r", {}, "h", embedding=[math.nan]),
            ValueError,
            "embedding value = nan must be finite",
        ),
        (SummaryRecord("r", 0, "t", created_at=datetime(2026, 1, 1)), ValueError, "aware"),
        (
            LLMCallRecord(None, "p", "m", -1, 0, 0.0, 0.0, False, None, _AT),
            ValueError,
            "^prompt_tokens = -1 must be an integer >= 0",
        ),
        (
            LLMCallRecord(None, "p", "m", 0, 0, -0.5, 0.0, False, None, _AT),
            ValueError,
            "^cost_usd = -0.5 must be finite and >= 0.0",
        ),
        (
            EvaluationRecord("r", "c", ["b"], 1.0, duration_s=-1.0),
            ValueError,
            "duration_s = -1.0 must be finite and >= 0.0",
        ),
        (
            RunRecord("r", "k", "", "running", {"x": object()}, {}, None, _AT, _AT),
            ValueError,
            "^run config cannot be stored as JSON",
        ),
    ],
)
def test_checks_refuse_bad_values_naming_the_field(record, error, message):
    with pytest.raises(error, match=message):
        to_row(record)


def test_an_object_that_is_not_a_record_is_refused():
    with pytest.raises(TypeError, match="dict is not a store record"):
        to_row({"id": "c"})
