"""Racing: how much of the minibatch a child is evaluated on before it is judged.

A child is proposed to beat its parent, and the parent was just scored on the
iteration's minibatch. Most children do not beat it, and where one instance already shows
a child worse, the rest of the minibatch buys nothing. Racing scores each child on the
minibatch one stage at a time, on the instances its parent was scored on (common random
numbers), and stops a child as soon as the paired difference against its parent shows it
worse under the run's observed noise; children that stay competitive get the whole
minibatch.

- ``PairedRacing`` (``paired``, the default): stages of one instance; after ``k``
  instances a child is stopped when ``mean(d) + z * sqrt(2) * noise_sd / sqrt(k) < 0``,
  where ``d`` are its scores minus its parent's on those instances and ``noise_sd`` is
  the pooled spread of repeated scores of the same candidate (``Evidence.noise_sd``;
  ``sqrt(2)`` because a difference carries the noise of both sides). With no observed
  noise one instance decides. Until the noise is measured (the re-evaluation policy's
  degrees of freedom) a child gets the whole minibatch at once, as without racing.
- ``NoRacing`` (``off``): every child on the whole minibatch at once.

The slack ``z`` is one-sided and defaults to 0: a child goes on only while it is at
least level with its parent so far. Stopping a child that would have beaten its parent
costs one of the next children; scoring a worse one to the end costs the rest of the
minibatch, and a child that ends level with its parent by luck crowds the top of the
queue with ties that re-scoring must then resolve. On the search benchmark's tuning
seeds (100-103, noise 0.1, median true quality) slack cost quality: smooth 0.90 at
``z = 0`` against 0.69, 0.73 and 0.76 at 0.5, 1 and 1.645 (0.72 without racing);
deceptive 0.81 at 0 against 0.76 at 0.5 (0.67 without racing).
The engine races only where the minibatch's instances are measured one by one: a
``BatchMeasuredDomain`` measures the batch as one, so its batch is never split.

A policy decides from plain numbers (``Evidence`` and score differences), so its
decisions can be tested without an engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.queue import CandidateQueue, Entry
from polca.optimizer.strategies import make_policy
from polca.optimizer.strategies.reevaluation import AdaptiveReevaluation, Evidence


@runtime_checkable
class RacingPolicy(Protocol):
    """Splits a child's minibatch into stages and says which children go on.

    Invariants: ``stages`` returns strictly increasing prefix lengths ending at
    ``batch_size`` (``[batch_size]``: no racing); ``stays`` is True for an empty list of
    differences (nothing measured, nothing shown).
    """

    def stages(self, evidence: Evidence, batch_size: int) -> list[int]: ...

    def stays(self, differences: Sequence[float], evidence: Evidence) -> bool: ...


class NoRacing:
    """Every child on the whole minibatch."""

    def stages(self, evidence: Evidence, batch_size: int) -> list[int]:
        return [batch_size]

    def stays(self, differences: Sequence[float], evidence: Evidence) -> bool:
        return True


class PairedRacing:
    """Stop a child once its paired difference against its parent shows it worse.

    ``z``: the slack a child gets, in standard errors of its mean paired difference
    (1.645: stop only when a one-sided 95% test says worse). The default, 0, goes on
    only while the child is at least level with its parent on the instances so far, the
    more likely side under a flat prior; see the module docstring for why. ``trust``: the
    policy whose ``measured`` says when the noise estimate has enough degrees of freedom
    (the re-evaluation policy's, so both start adapting together).
    """

    def __init__(self, z: float = 0.0, trust: AdaptiveReevaluation | None = None) -> None:
        if not z >= 0:
            raise ValueError(f"z={z!r} must be non-negative, e.g. 1.645 for a one-sided 95% test.")
        self.z = z
        self.trust = trust or AdaptiveReevaluation()

    def stages(self, evidence: Evidence, batch_size: int) -> list[int]:
        if not self.trust.measured(evidence):
            return [batch_size]
        return list(range(1, batch_size + 1))

    def stays(self, differences: Sequence[float], evidence: Evidence) -> bool:
        if not differences or not self.trust.measured(evidence):
            return True
        k = len(differences)
        margin = self.z * math.sqrt(2.0) * evidence.noise_sd / math.sqrt(k)
        return math.fsum(differences) / k + margin >= 0


def against_parent(queue: CandidateQueue, child: Candidate,
                   evaluations: Sequence[Evaluation]) -> list[float]:
    """The child's ``evaluations`` paired with its parent's scores (``paired_differences``);
    none when its parent is not in memory."""
    parent = child.parents[0] if child.parents else None
    if parent is None or parent not in queue:
        return []
    return paired_differences(evaluations, queue.entry(parent))


def paired_differences(evaluations: Sequence[Evaluation], parent: Entry) -> list[float]:
    """Each evaluation's score minus the parent's mean score on the same instance; where
    the parent has none there, minus its overall mean (then the difference also carries
    the instances' spread, which ``noise_sd`` includes, so the test stays fair)."""
    by_key: dict[str, list[float]] = {}
    for trial in parent.history:
        by_key.setdefault(trial.batch_id, []).append(trial.evaluation.score)
    return [e.score - _mean(by_key.get(e.instance_id, ()), parent.mean) for e in evaluations]


def _mean(values: Sequence[float], default: float) -> float:
    return math.fsum(values) / len(values) if values else default


RACINGS: dict[str, Callable[[], RacingPolicy]] = {
    "off": NoRacing,
    "paired": PairedRacing,
}


def make_racing(name: str) -> RacingPolicy:
    """The policy registered as ``name``; unknown names raise listing the choices."""
    return make_policy(RACINGS, "racing", name)
