"""What the store takes and gives back: frozen records, its errors, and value checks.

Records are plain frozen dataclasses, never ORM objects, so a caller holds no database
state. The checks here are the rules a value must meet before it is written (finite
numbers, timezone-aware datetimes, JSON-able data, lists of strings); each raises a
``ValueError`` or ``TypeError`` that names the value, the rule and the fix.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

log = logging.getLogger(__name__)

RunStatus = Literal["running", "finished", "failed", "interrupted"]
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)


class StoreError(RuntimeError):
    """The store cannot be opened or a write was refused; the message says why and what to do."""


class SchemaVersionError(StoreError):
    """The database was made by a polca with another schema version."""


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
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
    exact: bool = False  # the score is known by definition: nothing was measured


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
    """A candidate's mean score over all its evaluations, and how many of them measured
    something (an exact evaluation, its score known by definition, is not counted)."""

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


# ---------------------------------------------------------------------------- value checks
#
# Each check takes the value and a label naming it in messages ("score", "candidate 'a'
# parents") and returns the value as it is stored, or raises ValueError / TypeError.


def dumps(value: Any) -> str:
    """``value`` as JSON text; numpy values become numbers, NaN and infinity are refused."""
    return json.dumps(value, default=_json_default, allow_nan=False, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_value(value: Any, where: str) -> Any:
    """``value`` as plain JSON data (numpy values become numbers); a clear error otherwise."""
    try:
        return json.loads(dumps(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{where} cannot be stored as JSON ({exc}); use str, finite numbers, "
            "bools, None, lists and dicts"
        ) from None


def aware(value: datetime, where: str) -> datetime:
    """``value`` itself, if it is a timezone-aware datetime."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(
            f"{where} = {value!r} must be a timezone-aware datetime; use datetime.now(UTC)"
        )
    return value


def finite(value: Any, where: str, *, minimum: float | None = None) -> float:
    """``value`` as a float, if it is a finite number (and at least ``minimum``)."""
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


def count(value: Any, where: str) -> int:
    """``value`` itself, if it is an integer >= 0 (a number of tokens, say)."""
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"{where} = {value!r} must be an integer >= 0")
    return value


def strings(values: Any, where: str) -> list[str]:
    """``values`` as a list, if it is a sequence of strings (a lone string is refused)."""
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{where} = {values!r} must be a list of strings")
    return list(values)


def texts(values: Mapping[Any, Any], where: str) -> dict[str, str]:
    """``values`` as a dict, if it maps names (str) to texts (str): a candidate's payload."""
    kept = dict(values)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in kept.items()):
        raise TypeError(f"{where} must map parameter names (str) to texts (str)")
    return kept


def finite_metrics(metrics: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``metrics`` with NaN and infinite numbers as None: JSON (and PostgreSQL) has no
    such numbers, and a strange measurement must not cost the run its checkpoint."""
    kept: dict[str, Any] = {}
    for name, value in metrics.items():
        if isinstance(value, float | int) or hasattr(value, "item"):
            try:
                is_finite = math.isfinite(float(value))
            except (TypeError, ValueError):
                is_finite = True  # not a number after all: json_value judges it
            if not is_finite:
                log.warning(
                    "%s: metric %r = %r stored as None (not a finite number)", where, name, value
                )
                value = None
        kept[name] = value
    return kept
