"""POLCA's memory: a priority queue of candidates, each with its full evaluation history.

A candidate's priority is a pure function of its own scores (mean, or a Hoeffding
upper/lower confidence bound), ties broken by creation order. Priority therefore never
goes stale and the queue is rebuilt exactly from stored histories on resume. A candidate
with no score yet has priority +inf, so the seed is explored first.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from polca.optimizer.contracts import Candidate, Evaluation

PriorityFn = Callable[[Sequence[float], "PriorityParams"], float]


@dataclass(frozen=True)
class PriorityParams:
    """What a priority function may know beside the scores."""

    score_range: tuple[float, float] | None = None
    confidence: float = 0.95


@dataclass(frozen=True)
class Trial:
    """One evaluation in a candidate's history: the instance it ran on and when."""

    evaluation: Evaluation
    batch_id: str
    iteration: int
    duration_s: float = 0.0


@dataclass
class Entry:
    candidate: Candidate
    index: int  # creation order, the tie-breaker
    history: list[Trial] = field(default_factory=list)
    total: float = 0.0  # running sum of the scores, so the mean is O(1) over a large memory

    @property
    def scores(self) -> list[float]:
        return [t.evaluation.score for t in self.history]

    @property
    def mean(self) -> float:
        return self.total / len(self.history) if self.history else math.nan


def _hoeffding_bonus(n: int, params: PriorityParams) -> float:
    if params.score_range is None:
        raise ValueError("ucb/lcb priority needs score_range=(low, high); pass it in the config.")
    low, high = params.score_range
    delta = 1.0 - params.confidence
    return (high - low) * math.sqrt(math.log(2.0 / delta) / (2.0 * n))


def mean_priority(scores: Sequence[float], params: PriorityParams) -> float:
    return math.fsum(scores) / len(scores) if scores else math.inf


def ucb_priority(scores: Sequence[float], params: PriorityParams) -> float:
    if not scores:
        return math.inf
    return mean_priority(scores, params) + _hoeffding_bonus(len(scores), params)


def lcb_priority(scores: Sequence[float], params: PriorityParams) -> float:
    if not scores:
        return math.inf
    return mean_priority(scores, params) - _hoeffding_bonus(len(scores), params)


PRIORITIES: dict[str, PriorityFn] = {"mean": mean_priority, "ucb": ucb_priority, "lcb": lcb_priority}


def get_priority(name: str) -> PriorityFn:
    """The priority function registered as ``name``; unknown names raise listing choices."""
    try:
        return PRIORITIES[name]
    except KeyError:
        raise ValueError(
            f"unknown priority {name!r}; choose one of {sorted(PRIORITIES)}"
        ) from None


class CandidateQueue:
    """Memory of every candidate; the heap holds those not currently being explored.

    ``pop(k)`` removes the top k from the heap (they stay in memory); ``push`` puts them
    back with a priority recomputed from their history.
    """

    def __init__(self, priority: PriorityFn, params: PriorityParams) -> None:
        self._priority = priority
        self._params = params
        self._entries: dict[str, Entry] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._queued: set[str] = set()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, candidate_id: str) -> bool:
        return candidate_id in self._entries

    def add(self, candidate: Candidate) -> Entry:
        """Remember a new candidate (not yet queued)."""
        if candidate.id in self._entries:
            raise ValueError(f"candidate {candidate.id!r} is already in memory")
        entry = Entry(candidate, index=len(self._entries))
        self._entries[candidate.id] = entry
        return entry

    def entry(self, candidate_id: str) -> Entry:
        return self._entries[candidate_id]

    def entries(self) -> list[Entry]:
        """Every candidate in creation order."""
        return list(self._entries.values())

    def record(self, candidate_id: str, trials: Iterable[Trial]) -> None:
        """Append evaluations to a candidate's history (re-evaluation appends, never replaces)."""
        entry = self._entries[candidate_id]
        for trial in trials:
            entry.history.append(trial)
            entry.total += trial.evaluation.score

    def priority(self, candidate_id: str) -> float:
        return self._priority(self._entries[candidate_id].scores, self._params)

    def push(self, candidate_ids: Iterable[str]) -> None:
        for cid in candidate_ids:
            if cid in self._queued:
                continue
            entry = self._entries[cid]
            heapq.heappush(self._heap, (-self.priority(cid), entry.index, cid))
            self._queued.add(cid)

    def pop(self, k: int) -> list[Candidate]:
        """The top ``k`` queued candidates by priority (ties: created first)."""
        popped: list[Candidate] = []
        while self._heap and len(popped) < k:
            _, _, cid = heapq.heappop(self._heap)
            self._queued.discard(cid)
            popped.append(self._entries[cid].candidate)
        return popped

    def queued(self) -> list[tuple[str, float]]:
        """(id, priority) of every queued candidate, in pop order."""
        return [(cid, -neg) for neg, _, cid in sorted(self._heap)]

    def best(self) -> Entry | None:
        """The evaluated candidate with the highest mean score (ties: created first)."""
        best: Entry | None = None
        for entry in self._entries.values():
            if entry.history and (best is None or entry.mean > best.mean):
                best = entry
        return best

    def top_by_mean(self, n: int) -> list[Entry]:
        evaluated = [e for e in self._entries.values() if e.history]
        return sorted(evaluated, key=lambda e: (-e.mean, e.index))[:n]
