"""POLCA's memory: a priority queue of candidates, each with its full evaluation history.

A candidate's priority is a pure function of its own scores and of the number of trials
the run has made so far (mean, or a Hoeffding upper/lower confidence bound whose δ shrinks
as 1/t², so the bonus grows with log t as in the paper), ties broken by creation order.
The queue is rebuilt exactly from stored histories on resume. A candidate with no score
yet has priority +inf, so the seed is explored first.
"""

from __future__ import annotations

import dataclasses
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
    trials: int = 1  # t: evaluations in memory when the priority is computed


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
    # Welford's running mean and sum of squared deviations: the spread of repeated scores,
    # exactly 0 when every score is equal (a sum of squares minus a squared sum is not).
    running_mean: float = 0.0
    m2: float = 0.0

    @property
    def scores(self) -> list[float]:
        return [t.evaluation.score for t in self.history]

    @property
    def mean(self) -> float:
        return self.total / len(self.history) if self.history else math.nan

    @property
    def exact(self) -> bool:
        """True when its score is known by definition (``Evaluation.exact``): re-scoring it
        would measure nothing."""
        return any(t.evaluation.exact for t in self.history)

    def latest(self) -> list[Evaluation]:
        """The evaluations of its most recent iteration (what a kept explorer's children are
        proposed from)."""
        last = self.history[-1].iteration if self.history else None
        return [t.evaluation for t in self.history if t.iteration == last]


def _hoeffding_bonus(n: int, params: PriorityParams) -> float:
    """Hoeffding half-width at confidence 1 - δ/t² (a union bound over the t trials so far)."""
    if params.score_range is None:
        raise ValueError("ucb/lcb priority needs score_range=(low, high); pass it in the config.")
    low, high = params.score_range
    delta = 1.0 - params.confidence
    t = max(1, params.trials)
    return (high - low) * math.sqrt((math.log(2.0 / delta) + 2.0 * math.log(t)) / (2.0 * n))


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


@dataclass(frozen=True)
class PriorityRule:
    """A priority function and whether it reads ``PriorityParams.trials`` (then the queue
    recomputes every queued priority at each pop, as t has grown since the push)."""

    fn: PriorityFn
    grows_with_trials: bool = False

    def __call__(self, scores: Sequence[float], params: PriorityParams) -> float:
        return self.fn(scores, params)


PRIORITIES: dict[str, PriorityRule] = {
    "mean": PriorityRule(mean_priority),
    "ucb": PriorityRule(ucb_priority, grows_with_trials=True),
    "lcb": PriorityRule(lcb_priority, grows_with_trials=True),
}


def get_priority(name: str) -> PriorityRule:
    """The priority rule registered as ``name``; unknown names raise listing choices."""
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
        self._grows = isinstance(priority, PriorityRule) and priority.grows_with_trials
        self._entries: dict[str, Entry] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._queued: set[str] = set()
        self.trials = 0  # t: every evaluation recorded so far
        self._spread_m2 = 0.0  # Σ of every entry's m2, and Σ (n_i - 1): the pooled spread
        self._spread_dof = 0

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
        before = entry.m2
        for trial in trials:
            score = trial.evaluation.score
            entry.history.append(trial)
            entry.total += score
            delta = score - entry.running_mean
            entry.running_mean += delta / len(entry.history)
            entry.m2 += delta * (score - entry.running_mean)
            self.trials += 1
            self._spread_dof += len(entry.history) >= 2
        self._spread_m2 += entry.m2 - before

    def noise(self) -> tuple[float, int]:
        """Pooled standard deviation of repeated scores of the same candidate, and its
        degrees of freedom (Σ (n_i - 1); 0 with nan: not measured yet)."""
        dof = self._spread_dof
        return (math.sqrt(max(0.0, self._spread_m2) / dof) if dof else math.nan), dof

    def priority(self, candidate_id: str) -> float:
        params = dataclasses.replace(self._params, trials=max(1, self.trials))
        return self._priority(self._entries[candidate_id].scores, params)

    def push(self, candidate_ids: Iterable[str]) -> None:
        for cid in candidate_ids:
            if cid in self._queued:
                continue
            entry = self._entries[cid]
            heapq.heappush(self._heap, (-self.priority(cid), entry.index, cid))
            self._queued.add(cid)

    def pop(self, k: int) -> list[Candidate]:
        """The top ``k`` queued candidates by priority (ties: created first)."""
        if self._grows:
            self._heap = [(-self.priority(cid), i, cid) for _, i, cid in self._heap]
            heapq.heapify(self._heap)
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
        evaluated = (e for e in self._entries.values() if e.history)
        return heapq.nsmallest(n, evaluated, key=lambda e: (-e.mean, e.index))

