"""The engine's contracts: what a domain, a proposer, an embedder and an executor promise.

Small ``typing.Protocol``s over plain data. The engine knows these and nothing of any
domain; domains live in ``optimizer/domains/``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import numpy as np

Instance = Any  # one element of a domain's instances(): opaque to the engine
EvalStatus = Literal["ok", "failed", "error"]


def content_hash(params: Mapping[str, str]) -> str:
    """Stable hash of a candidate's named text parameters (order of names does not matter)."""
    blob = json.dumps(dict(sorted(params.items())), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Candidate:
    """Named text parameters (``{"code": ...}`` or ``{"predictor.instructions": ...}``).

    ``origin`` says where it came from: ``seed``, ``llm``, ``skill:<id>``, ``scripted``...
    """

    params: Mapping[str, str]
    parents: tuple[str, ...] = ()
    origin: str = "seed"
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    note: str = ""  # the proposer's reasoning, kept for people and for the summarizer

    @property
    def hash(self) -> str:
        return content_hash(self.params)

    def text(self) -> str:
        """All parameters as one text, the form the ε-net embeds."""
        return "\n\n".join(f"## {name}\n{value}" for name, value in sorted(self.params.items()))


@dataclass(frozen=True)
class Evaluation:
    """One candidate on one instance. Higher ``score`` is better.

    A candidate's failure is data: ``score=0.0`` (or the domain's floor), a ``status``
    other than ``ok`` and the reason in ``feedback``.

    ``exact``: the score is known by definition, without measuring anything, and is the
    same on every batch (the program domain's original against itself: speedup 1.0). The
    engine then counts the evaluation against no budget, records it once and never
    re-scores that candidate, since another evaluation would measure nothing. A domain
    must not set it on a score that any run produced: a measured score is a sample.
    """

    score: float
    feedback: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)
    status: EvalStatus = "ok"
    instance_id: str = ""
    exact: bool = False


@runtime_checkable
class Domain(Protocol):
    """What POLCA optimizes.

    Invariants: ``evaluate`` returns exactly one Evaluation per instance in ``batch``, in
    order; it never raises for a bad candidate (that is a failed Evaluation); scores are
    comparable across candidates, higher is better.
    """

    def seed(self) -> Candidate: ...

    def instances(self) -> Sequence[Instance]: ...

    def evaluate(self, candidate: Candidate, batch: Sequence[Instance]) -> list[Evaluation]: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class ProposalContext:
    """What a proposer is told beside the parent and its evaluations."""

    objective: str  # the domain's describe()
    summary: str = ""  # the summarizer's current advice ("" before the first summary)
    num_proposals: int = 1
    iteration: int = 0
    seed: int = 0  # per-call seed, so scripted proposers are reproducible


@runtime_checkable
class Proposer(Protocol):
    """Makes children of a parent.

    Invariants: returns at most ``context.num_proposals`` candidates, each with
    ``parents == (parent.id,)``; never raises for a malformed model answer (it returns
    fewer children and logs why). Systemic faults (no model reachable) may raise.
    """

    def propose(
        self, parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext
    ) -> list[Candidate]: ...


@runtime_checkable
class Embedder(Protocol):
    """Text to unit vectors: ``embed(texts)`` has shape (len(texts), dim), each row norm 1."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Executor(Protocol):
    """Runs evaluations concurrently. ``map`` keeps the input order of results."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]: ...


@dataclass(frozen=True)
class ProposalOutcome:
    """A proposer's children and, for each child it could not make, the reason why."""

    children: tuple[Candidate, ...]
    failures: tuple[str, ...] = ()


@runtime_checkable
class ReportingProposer(Protocol):
    """Optional: a proposer that says why a proposal failed (the LLM proposer does)."""

    def propose_with_report(
        self, parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext
    ) -> ProposalOutcome: ...


def propose_outcome(
    proposer: Proposer,
    parent: Candidate,
    evaluations: Sequence[Evaluation],
    context: ProposalContext,
) -> ProposalOutcome:
    """Ask any proposer for children; plain proposers report no failure reasons."""
    if isinstance(proposer, ReportingProposer):
        return proposer.propose_with_report(parent, evaluations, context)
    children = proposer.propose(parent, evaluations, context)
    return ProposalOutcome(tuple(children[: context.num_proposals]))


@runtime_checkable
class ValidationDomain(Protocol):
    """Optional: a domain with a held-out validation set.

    Children are then scored on fresh validation minibatches and the final pool on the
    whole validation set, instead of on ``instances()``.
    """

    def validation_instances(self) -> Sequence[Instance]: ...


def validation_instances(domain: Domain) -> Sequence[Instance]:
    """The domain's validation instances, or an empty sequence when it has none."""
    if isinstance(domain, ValidationDomain):
        return list(domain.validation_instances())
    return []


@runtime_checkable
class BatchMeasuredDomain(Protocol):
    """Optional: a domain whose evaluation of a batch is one measurement, not one per instance
    (the program domain checks every input, then times the whole batch in one paired A/B run).

    The engine calls ``evaluate_batch`` instead of ``evaluate`` and records its one
    Evaluation as one trial that covers the batch: a candidate's history, the budget's
    evaluation count and the ucb/lcb bounds then count real measurements, not copies of one.
    Invariants: as ``Domain.evaluate`` for the batch as a whole (never raises for a bad
    candidate; higher is better).
    """

    def evaluate_batch(self, candidate: Candidate, batch: Sequence[Instance]) -> Evaluation: ...
