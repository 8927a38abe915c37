"""Re-evaluation: how many evaluations go to re-scoring explorers and to the final selection.

Re-scoring an explorer on a new minibatch and re-measuring the top candidates at the end
buy one thing: telling candidates apart when one minibatch does not. How much that is
worth depends on the noise, which a run can observe: the spread of repeated scores of the
same candidate (``Evidence.noise_sd``) and the gaps between the candidates at the top.

- ``FixedReevaluation``: the paper's schedule: every explorer is re-scored every
  iteration, and the top ``num_pool`` by mean are re-measured at the end.
- ``AdaptiveReevaluation`` (the default): an explorer is re-scored only while it may
  still be the best: while its mean is statistically tied with the leader's (the leader:
  with the runner-up's), by a two-sided z-test on the difference of means with the
  pooled noise, and only while it has no more scores than that rival (the side with
  fewer scores is where one more minibatch narrows the margin most); and the final pool
  holds only the candidates tied with the leader. With no noise nothing is re-scored;
  until the noise is measured it behaves like ``fixed``.

Under either policy a candidate whose score is exact (``Evaluation.exact``: known by
definition, such as the program domain's original against itself) is scored once and
never again, neither while searching nor in the final selection (``rescore_explorers``).

A policy decides from plain numbers (``Standing``, ``Evidence``), so its decisions can be
tested on synthetic histories without an engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from polca.optimizer.queue import CandidateQueue, Entry
from polca.optimizer.strategies import make_policy


@dataclass(frozen=True)
class Standing:
    """One candidate as a policy sees it: its mean score over ``num_scores`` scores."""

    id: str
    mean: float
    num_scores: int


@dataclass(frozen=True)
class Evidence:
    """What the run has observed about its own noise.

    ``noise_sd``: pooled standard deviation of repeated scores of the same candidate
    (nan until measured); ``dof``: its degrees of freedom; ``top``: the best candidates
    by mean, best first.
    """

    noise_sd: float
    dof: int
    top: tuple[Standing, ...]


@runtime_checkable
class ReevaluationPolicy(Protocol):
    """Decides which explorers to re-score and how large the final pool is.

    Invariants: ``rescore`` returns one bool per explorer, True for every explorer with
    no score (it must be evaluated once before children can be proposed);
    ``final_pool`` returns an int in ``[0, limit]``.
    """

    def rescore(self, explorers: Sequence[Standing], evidence: Evidence) -> list[bool]: ...

    def final_pool(self, evidence: Evidence, limit: int) -> int: ...


class FixedReevaluation:
    """Re-score every explorer every iteration; re-measure the top ``limit`` at the end."""

    def rescore(self, explorers: Sequence[Standing], evidence: Evidence) -> list[bool]:
        return [True] * len(explorers)

    def final_pool(self, evidence: Evidence, limit: int) -> int:
        return limit


class AdaptiveReevaluation:
    """Spend re-evaluations only where the observed noise leaves candidates tied.

    ``z``: the two-sided critical value of the tie test (1.96: 95%). ``min_dof``: the
    degrees of freedom the noise estimate needs before the policy trusts it (until then
    it behaves like ``FixedReevaluation``).
    """

    def __init__(self, z: float = 1.96, min_dof: int = 4) -> None:
        if not z > 0:
            raise ValueError(f"z={z!r} must be positive, e.g. 1.96 for a 95% tie test.")
        if min_dof < 1:
            raise ValueError(f"min_dof={min_dof!r} must be at least 1.")
        self.z = z
        self.min_dof = min_dof

    def rescore(self, explorers: Sequence[Standing], evidence: Evidence) -> list[bool]:
        if not self.measured(evidence):
            return [True] * len(explorers)
        return [e.num_scores == 0 or self._tied_with_a_rival(e, evidence) for e in explorers]

    def final_pool(self, evidence: Evidence, limit: int) -> int:
        if limit == 0 or not evidence.top:
            return 0
        if not self.measured(evidence):
            return limit
        leader = evidence.top[0]
        tied = sum(1 for other in evidence.top[:limit] if self.tied(leader, other, evidence))
        if tied > 1:
            return tied
        # The leader stands alone: with no noise its mean is already exact; otherwise one
        # re-measurement gives an unbiased score and interval for the returned candidate.
        return 0 if evidence.noise_sd == 0 else 1

    def tied(self, a: Standing, b: Standing, evidence: Evidence) -> bool:
        """True when the gap between ``a`` and ``b`` is inside the test's margin (a is b: True)."""
        if a.id == b.id:
            return True
        if a.num_scores == 0 or b.num_scores == 0:
            return True
        margin = self.z * evidence.noise_sd * math.sqrt(1 / a.num_scores + 1 / b.num_scores)
        return abs(a.mean - b.mean) < margin

    def _tied_with_a_rival(self, explorer: Standing, evidence: Evidence) -> bool:
        """Could another score of this explorer change which of them is best? (leader: vs
        the runner-up). Only while it has no more scores than its rival: a new score
        narrows the margin most on the side with fewer, so a challenger with one minibatch
        is re-scored, not the leader with forty."""
        rivals = [s for s in evidence.top if s.id != explorer.id]
        if not rivals:
            return False
        rival = rivals[0]
        return explorer.num_scores <= rival.num_scores and self.tied(explorer, rival, evidence)

    def measured(self, evidence: Evidence) -> bool:
        """True once the noise estimate has the degrees of freedom the policy trusts."""
        return evidence.dof >= self.min_dof and math.isfinite(evidence.noise_sd)


def evidence_from(queue: CandidateQueue, size: int) -> Evidence:
    """The queue's pooled noise and its top ``size`` candidates by mean."""
    noise_sd, dof = queue.noise()
    top = tuple(standing(e) for e in queue.top_by_mean(size))
    return Evidence(noise_sd, dof, top)


def rescore_explorers(policy: ReevaluationPolicy, entries: Sequence[Entry],
                      evidence: Evidence) -> list[bool]:
    """The policy's decision for each explorer, except that an exact candidate (its score
    known by definition, ``Evaluation.exact``) is never re-scored: that would measure nothing."""
    wanted = policy.rescore([standing(e) for e in entries], evidence)
    return [w and not e.exact for w, e in zip(wanted, entries, strict=True)]


def standing(entry: Entry) -> Standing:
    return Standing(entry.candidate.id, entry.mean, len(entry.history))


REEVALUATIONS: dict[str, Callable[[], ReevaluationPolicy]] = {
    "adaptive": AdaptiveReevaluation,
    "fixed": FixedReevaluation,
}


def make_reevaluation(name: str) -> ReevaluationPolicy:
    """The policy registered as ``name``; unknown names raise listing the choices."""
    return make_policy(REEVALUATIONS, "reevaluation", name)
