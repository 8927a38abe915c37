"""``OptimizerConfig``: every knob of a POLCA run, validated once at construction.

Config is data: frozen, no live objects (the LLM client, the store, the executor are
arguments of :func:`polca.optimizer.api.optimize`, never fields here).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from polca.config import EmbedderName, ExpansionName, RacingName, ReevaluationName

PriorityName = Literal["mean", "ucb", "lcb"]
ExecutorName = Literal["thread", "process", "serial", "ray"]


@dataclass(frozen=True)
class OptimizerConfig:
    """A POLCA run.

    Search (the paper's names):
        num_candidates: K, explorers popped from the priority queue per iteration.
        num_proposals: children asked of the proposer per explorer.
        batch_size: instances per minibatch (all K explorers share it).
        embedder: the offline embedder the ε-net reads, ``hashed`` (token n-grams of the
            text) or ``code`` (normalised identifiers and literals plus AST structure for
            Python parameters; text n-grams for the others).
        epsilon: ε-net radius (Euclidean distance between unit embeddings, in [0, 2]);
            a child closer than this to memory is dropped unevaluated. 0 turns it off;
            None takes the embedder's calibrated default (benchmarks/search/epsilon_calibration.json).
        priority: queue priority, ``mean`` of all scores, or Hoeffding ``ucb``/``lcb``
            (those need ``score_range``).
        score_range: (low, high) bounds of one score; used by ucb/lcb bonuses and as the
            score of an evaluation whose domain raised.
        confidence: 1 - δ of the Hoeffding bonus for ucb/lcb.
        summarize_every: run the summarizer every N iterations (0: never).
        summary_sample_size: candidates shown to the summarizer per update.
        num_pool: at most this many top candidates are re-evaluated on the full
            validation set at the end (0: skip final selection, return the argmax of the mean).
        reevaluation: how explorers are re-scored and how large the final pool is:
            ``adaptive`` (as the observed noise requires) or ``fixed`` (every explorer
            every iteration, and all ``num_pool``).
        expansion: which explorers get children: ``adaptive`` (the one with the best
            mean and those statistically tied with it), ``focus`` (only the best; the
            others are only compared with it) or ``spread`` (each explorer, the paper's
            schedule); see ``polca.optimizer.strategies.expansion``.
        racing: how much of the minibatch a child is scored on: ``paired`` (instance by
            instance, stopped once its paired difference against its parent shows it
            worse under the observed noise) or ``off`` (all of it at once); see
            ``polca.optimizer.strategies.racing``.

    Budgets (``None``: no limit; the run stops at whichever comes first):
        max_evaluations: instance evaluations (one per measured batch for a domain that
            measures batches, ``BatchMeasuredDomain``), final selection included.
        max_proposals: children requested from the proposer.
        max_cost_usd: LLM spend read from the client's running usage.
        max_wall_s: wall-clock seconds of this run.
        max_iterations: iterations.
        target_score: stop once the best mean score reaches it.

    Execution:
        executor: ``thread`` (default), ``process``, ``serial`` or ``ray``.
        max_workers: evaluation concurrency.
        seed: makes minibatches, summarizer samples and proposal seeds reproducible.
    """

    num_candidates: int = 2
    num_proposals: int = 2
    batch_size: int = 4
    embedder: EmbedderName = "hashed"
    epsilon: float | None = None
    priority: PriorityName = "mean"
    score_range: tuple[float, float] | None = None
    confidence: float = 0.95
    summarize_every: int = 1
    summary_sample_size: int = 5
    num_pool: int = 3
    reevaluation: ReevaluationName = "adaptive"
    expansion: ExpansionName = "adaptive"
    racing: RacingName = "paired"
    max_evaluations: int | None = None
    max_proposals: int | None = None
    max_cost_usd: float | None = None
    max_wall_s: float | None = None
    max_iterations: int | None = None
    target_score: float | None = None
    executor: ExecutorName = "thread"
    max_workers: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("num_candidates", "num_proposals", "batch_size", "max_workers"):
            _require_int(name, getattr(self, name), minimum=1)
        for name in ("summarize_every", "num_pool", "seed"):
            _require_int(name, getattr(self, name), minimum=0)
        _require_int("summary_sample_size", self.summary_sample_size, minimum=1)
        if self.epsilon is not None and not 0.0 <= self.epsilon <= 2.0:
            raise ValueError(
                f"epsilon={self.epsilon!r} must lie in [0, 2] (a distance between unit "
                "vectors); use 0 to turn the ε-net off or a small value such as 0.05."
            )
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence={self.confidence!r} must lie in (0, 1), e.g. 0.95.")
        self._check_priority()
        self._check_budgets()

    def _check_priority(self) -> None:
        if self.priority not in ("mean", "ucb", "lcb"):
            raise ValueError(
                f"priority={self.priority!r} is unknown; choose one of 'mean', 'ucb', 'lcb'."
            )
        if self.score_range is not None:
            low, high = self.score_range
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(
                    f"score_range={self.score_range!r} must be (low, high) with finite "
                    "low < high, e.g. (0.0, 1.0)."
                )
        elif self.priority != "mean":
            raise ValueError(
                f"priority={self.priority!r} needs score_range=(low, high) for its Hoeffding "
                "bonus; pass score_range, e.g. (0.0, 1.0), or use priority='mean'."
            )
        for name, kind in (("executor", ExecutorName), ("reevaluation", ReevaluationName),
                           ("embedder", EmbedderName), ("expansion", ExpansionName),
                           ("racing", RacingName)):
            if getattr(self, name) not in get_args(kind):
                raise ValueError(
                    f"{name}={getattr(self, name)!r} is unknown; choose one of "
                    f"{', '.join(repr(c) for c in get_args(kind))}."
                )

    def _check_budgets(self) -> None:
        for name in ("max_evaluations", "max_proposals", "max_iterations"):
            value = getattr(self, name)
            if value is not None:
                _require_int(name, value, minimum=1)
        for name in ("max_cost_usd", "max_wall_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name}={value!r} must be positive, or None for no limit.")

    def replace(self, **changes: Any) -> OptimizerConfig:
        """A copy with ``changes``; unknown names raise listing the known fields."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                f"unknown optimizer option(s) {unknown}; known options: {sorted(known)}"
            )
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored with a run."""
        data = dataclasses.asdict(self)
        if self.score_range is not None:
            data["score_range"] = list(self.score_range)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OptimizerConfig:
        values = dict(data)
        if values.get("score_range") is not None:
            values["score_range"] = tuple(values["score_range"])
        return cls().replace(**values)


def _require_int(name: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}={value!r} must be an int (got {type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{name}={value!r} must be at least {minimum}.")
