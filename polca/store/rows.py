"""Records to rows and back, in one place, driven by the records' own fields.

A record's fields are its table's columns, by name. Reading copies each field from the
row. Writing passes each field through the check its table names for it (fields with no
check are copied as they are), so nothing reaches the database unchecked; fields the
database fills itself (an evaluation's ``id``) are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import partial
from typing import Any, TypeVar

from polca.store.records import (
    CandidateRecord,
    EvaluationRecord,
    LLMCallRecord,
    RunRecord,
    SummaryRecord,
    aware,
    count,
    finite,
    finite_metrics,
    json_value,
    strings,
    texts,
)
from polca.store.schema import Base, CandidateRow, EvaluationRow, LLMCallRow, RunRow, SummaryRow

R = TypeVar("R")
Check = Callable[[Any, str], Any]
"""``check(value, label) -> value as stored``; raises ValueError or TypeError naming ``label``."""


def _integer(value: Any, _label: str) -> int:
    return int(value)


def _boolean(value: Any, _label: str) -> bool:
    return bool(value)


def _embedding(values: Sequence[Any] | None, label: str) -> list[float] | None:
    return None if values is None else [finite(x, f"{label} value") for x in values]


def _metrics(metrics: Mapping[str, Any], label: str) -> dict[str, Any]:
    return json_value(finite_metrics(metrics, label), label)


_non_negative = partial(finite, minimum=0.0)


@dataclass(frozen=True)
class Table:
    """How one record type is stored.

    ``where`` names a record in error messages (a check's label is ``where`` and the
    field's name); ``checks`` maps field names to their ``Check``; ``generated`` names
    the fields the database fills, which writes leave out.
    """

    model: type[Base]
    where: Callable[[Any], str]
    checks: Mapping[str, Check]
    generated: frozenset[str] = frozenset()


TABLES: dict[type, Table] = {
    RunRecord: Table(
        RunRow,
        lambda r: "run",
        {"config": json_value, "state": json_value, "created_at": aware, "updated_at": aware},
    ),
    CandidateRecord: Table(
        CandidateRow,
        lambda r: f"candidate {r.id!r}",
        {
            "payload": texts,
            "parents": strings,
            "embedding": _embedding,
            "iteration": _integer,
            "created_at": aware,
        },
    ),
    EvaluationRecord: Table(
        EvaluationRow,
        lambda r: f"evaluation of candidate {r.candidate_id!r}",
        {
            "batch_ids": strings,
            "score": finite,
            "metrics": _metrics,
            "duration_s": _non_negative,
            "iteration": _integer,
            "exact": _boolean,
            "created_at": aware,
        },
        generated=frozenset({"id"}),
    ),
    SummaryRecord: Table(
        SummaryRow,
        lambda r: f"summary of iteration {r.iteration}",
        {"iteration": _integer, "candidate_ids": strings, "created_at": aware},
    ),
    LLMCallRecord: Table(
        LLMCallRow,
        lambda r: "",
        {
            "prompt_tokens": count,
            "completion_tokens": count,
            "cost_usd": _non_negative,
            "latency_s": _non_negative,
            "cached": _boolean,
            "created_at": aware,
        },
    ),
}


def to_row(record: Any) -> dict[str, Any]:
    """The checked column values of ``record``, ready for an INSERT into its table.

    Raises the first failed check's ``ValueError`` or ``TypeError``, and ``TypeError``
    for an object that is not one of the records in ``TABLES``.
    """
    table = _table_of(type(record))
    where = table.where(record)
    row: dict[str, Any] = {}
    for f in fields(record):
        if f.name in table.generated:
            continue
        value = getattr(record, f.name)
        check = table.checks.get(f.name)
        row[f.name] = value if check is None else check(value, f"{where} {f.name}".lstrip())
    return row


def _table_of(record_type: type) -> Table:
    for kind in record_type.__mro__:
        if kind in TABLES:
            return TABLES[kind]
    names = ", ".join(kind.__name__ for kind in TABLES)
    raise TypeError(f"{record_type.__name__} is not a store record; write one of {names}")


def to_record(record_type: type[R], row: Base) -> R:
    """The ``record_type`` record holding ``row``'s values (one per record field)."""
    return record_type(**{f.name: getattr(row, f.name) for f in fields(record_type)})


# ---------------------------------------------------------------------------- one iteration


@dataclass(frozen=True)
class IterationRows:
    """One iteration's checked rows, and the run state to keep (None: leave it)."""

    candidates: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    summary: dict[str, Any] | None
    state: dict[str, Any] | None


def iteration_rows(
    run_id: str,
    candidates: Sequence[CandidateRecord],
    evaluations: Sequence[EvaluationRecord],
    summary: SummaryRecord | None,
    state: Mapping[str, Any] | None,
) -> IterationRows:
    """Check and convert one iteration's records before any of them touches the database."""
    _same_run(run_id, candidates, "a candidate")
    _same_run(run_id, evaluations, "an evaluation")
    _same_run(run_id, [summary] if summary is not None else [], "the summary")
    return IterationRows(
        candidates=[to_row(c) for c in candidates],
        evaluations=[to_row(e) for e in evaluations],
        summary=to_row(summary) if summary is not None else None,
        state=json_value(dict(state), "state") if state is not None else None,
    )


def _same_run(run_id: str, records: Sequence[Any], what: str) -> None:
    for record in records:
        if record.run_id != run_id:
            raise ValueError(
                f"{what} has run_id {record.run_id!r} but is written to run {run_id!r}; "
                "build records with the run id they belong to"
            )
