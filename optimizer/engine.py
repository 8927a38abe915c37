"""The POLCA loop: explore the top of the queue on a shared minibatch, propose, filter, repeat.

One iteration, in the paper's terms:

1. pop the top ``num_candidates`` explorers from the priority queue;
2. draw one minibatch and evaluate on it the explorers the re-evaluation policy picks
   (common random numbers; all of them under ``fixed``, those still tied with a rival
   under ``adaptive``; never one whose score is exact), appending the scores to their histories;
3. ask the proposer for ``num_proposals`` children of the explorers the expansion policy
   picks (under ``adaptive``: the best by mean and those still tied with it), giving it that
   minibatch's scores and feedback and the summarizer's advice;
4. drop children inside the ε-net unevaluated;
5. evaluate the survivors on the same minibatch (or a fresh validation minibatch) as the
   racing policy schedules it (under ``paired``: instance by instance, a child stopped
   once its paired difference against its parent shows it worse);
6. push explorers and children back with priorities recomputed from their histories;
7. every ``summarize_every`` iterations, update the summary; checkpoint.

At the end the top candidates by mean (at most ``num_pool``; as many as the policy finds
tied with the leader) are re-evaluated on the full validation set (or all instances) and
the best is returned with a 95% confidence interval. Those final scores are kept apart
from the search: a resumed run ignores them, so resuming with more budget equals a
longer run.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from polca.events import EventBus
from polca.optimizer import events as ev
from polca.optimizer.budget import Budget
from polca.optimizer.checkpoint import NewCandidate, RunCheckpoint, Snapshot
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import (
    Candidate,
    Domain,
    Embedder,
    Evaluation,
    Executor,
    ProposalContext,
    Proposer,
    validation_instances,
)
from polca.optimizer.embedding import resolve_epsilon
from polca.optimizer.epsilon_net import EpsilonNet
from polca.optimizer.evaluation import batch_cost, checked_evaluations, measured_keys, run_job
from polca.optimizer.minibatch import MinibatchSampler
from polca.optimizer.proposing import propose_children
from polca.optimizer.queue import CandidateQueue, PriorityParams, Trial, get_priority
from polca.optimizer.result import OptimizationResult, confidence_interval_95
from polca.optimizer.strategies import racing as rc
from polca.optimizer.strategies import reevaluation as rv
from polca.optimizer.strategies.expansion import make_expansion
from polca.optimizer.summarizer import Summarizer, summary_request

log = logging.getLogger(__name__)

TRAIN, VAL = "train", "val"
RUNNERS_UP = 4  # candidates after the best that a result carries, for a caller's own final check


class Engine:
    """Runs POLCA over one domain. Build it through ``polca.optimizer.api.optimize``."""

    def __init__(
        self,
        domain: Domain,
        proposer: Proposer,
        config: OptimizerConfig,
        *,
        embedder: Embedder,
        executor: Executor,
        summarizer: Summarizer | None = None,
        events: EventBus | None = None,
        checkpoint: RunCheckpoint | None = None,
        cost_usd: Callable[[], float] = lambda: 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.domain, self.proposer, self.config = domain, proposer, config
        self.embedder, self.executor, self.summarizer = embedder, executor, summarizer
        self.events = events or EventBus()
        self.checkpoint = checkpoint
        self.objective = domain.describe()
        self.instances = {TRAIN: list(domain.instances()), VAL: list(validation_instances(domain))}
        self.queue = CandidateQueue(
            get_priority(config.priority), PriorityParams(config.score_range, config.confidence)
        )
        self.reevaluation = rv.make_reevaluation(config.reevaluation)
        self.expansion = make_expansion(config.expansion)
        self.racing = rc.make_racing(config.racing)
        self.epsilon = resolve_epsilon(config.epsilon, embedder)
        self.sampler = MinibatchSampler(len(self.instances[TRAIN]), config.batch_size, config.seed)
        self.val_sampler = (
            MinibatchSampler(len(self.instances[VAL]), config.batch_size, config.seed, stream=1)
            if self.instances[VAL]
            else None
        )
        self.net: EpsilonNet | None = None
        self.budget = Budget(
            config, cost_usd=cost_usd, clock=clock,
            step_evaluations=batch_cost(domain, self.sampler.batch_size),
            reserved_evaluations=self._final_reserve(config.num_pool),
        )
        self.iteration = 0
        self.summary = ""
        self.summarized: set[str] = set()
        self.best_id: str | None = None
        self.proposal_failures: Counter[str] = Counter()  # by kind, kept in the run's state
        self._new_candidates: list[NewCandidate] = []
        self._new_trials: list[tuple[str, Trial]] = []
        self._new_summary: tuple[str, str, Sequence[str]] | None = None
        self._trials_written = 0  # position of the next trial in the run's stored sequence
        self._final_segments: list[tuple[int, int]] = []  # (first, count) of final trials

    @property
    def run_id(self) -> str | None:
        return self.checkpoint.run_id if self.checkpoint else None

    # ---- the run ---------------------------------------------------------------------

    def run(self, snapshot: Snapshot | None = None) -> OptimizationResult:
        """Search until a budget is spent, then select the final best."""
        seed_id = self._restore(snapshot) if snapshot else self._plant_seed()
        self._emit(ev.RunStarted(self.run_id, seed_id, self.iteration, self.config.max_evaluations,
                                 self.config.max_iterations, self.config.max_proposals))
        reason = self.budget.exhausted(self._best_mean())
        while reason is None:
            self._iterate()
            reason = self.budget.exhausted(self._best_mean())
        self._emit(ev.BudgetExhausted(self.iteration, reason))
        return self._finish(reason)

    def _iterate(self) -> None:
        self.iteration, spent_before = self.iteration + 1, self.budget.evaluations
        explorers = self.queue.pop(self.config.num_candidates)
        batch = self._batch_ids(TRAIN, self.sampler.next())
        self._emit(ev.IterationStarted(self.iteration, tuple(c.id for c in explorers), tuple(batch)))
        entries = [self.queue.entry(c.id) for c in explorers]
        rescore = rv.rescore_explorers(self.reevaluation, entries, self._evidence())
        fresh = self._evaluate([c for c, r in zip(explorers, rescore, strict=True) if r],
                               batch, "explorer")
        fresh |= {e.candidate.id: e.latest() for e, r in zip(entries, rescore, strict=True) if not r}
        parents = [c for c in explorers if c.id in fresh]
        counts = self.expansion.allot([rv.standing(self.queue.entry(c.id)) for c in parents],
                                      self._evidence(), self.config.num_proposals)
        children = self._propose(parents, counts, fresh)
        survivors, vectors = self._epsilon_filter(children)
        child_batch = self._batch_ids(VAL, self.val_sampler.next()) if self.val_sampler else batch
        evaluated = self._race(survivors, child_batch, vectors, paired=child_batch is batch)
        if not evaluated and not any(rescore):  # nothing spent: re-score, so the run moves on
            self._evaluate([e.candidate for e in entries if not e.exact], batch, "explorer")
        self.queue.push([c.id for c in explorers] + list(evaluated))
        self.budget.end_iteration(self.budget.evaluations - spent_before)
        self.budget.reserved_evaluations = self._final_reserve(self._pool_size())
        self._update_best()
        self._maybe_summarize()
        self._write_checkpoint()

    # ---- steps -----------------------------------------------------------------------

    def _plant_seed(self) -> str:
        seed = self.domain.seed()
        self._remember(seed, self._embed([seed])[0])
        self.queue.push([seed.id])
        return seed.id

    def _evaluate(
        self,
        candidates: Sequence[Candidate],
        batch: Sequence[str],
        role: ev.EvaluationRole,
        *,
        remember: dict[str, np.ndarray] | None = None,
    ) -> dict[str, list[Evaluation]]:
        """Evaluate each candidate on ``batch`` (as many as the budget allows)."""
        keys = measured_keys(self.domain, batch)  # one per trial: instances, or the batch as one
        affordable = len(candidates) if role == "final" else self.budget.affordable(len(candidates), len(keys))
        chosen = list(candidates[:affordable])
        instances = [self._instance(key) for key in batch]
        results = self.executor.map(run_job, [(self.domain, c, instances) for c in chosen])
        fresh: dict[str, list[Evaluation]] = {}
        for candidate, (outcome, duration_s) in zip(chosen, results, strict=True):
            if remember is not None:
                self._remember(candidate, remember[candidate.id])
            floor = self.config.score_range[0] if self.config.score_range else 0.0
            evaluations = checked_evaluations(candidate, outcome, keys, floor)
            trials = [Trial(e, key, self.iteration, duration_s / len(keys))
                      for e, key in zip(evaluations, keys, strict=True)]
            self.queue.record(candidate.id, trials)
            self._new_trials.extend((candidate.id, t) for t in trials)
            self._trials_written += len(trials)
            self.budget.charge(evaluations, len(keys))
            fresh[candidate.id] = evaluations
            entry = self.queue.entry(candidate.id)
            self._emit(ev.CandidateEvaluated(
                self.iteration, candidate.id, role, tuple(batch),
                tuple(e.score for e in evaluations), entry.mean, len(entry.history),
                self.budget.evaluations))
        return fresh

    def _race(
        self, children: Sequence[Candidate], batch: Sequence[str], vectors: dict[str, np.ndarray],
        *, paired: bool,
    ) -> dict[str, list[Evaluation]]:
        """Evaluate ``children`` on ``batch`` in the racing policy's stages: one stage unless
        their parents were scored on the same instances (``paired``) and the domain measures
        instance by instance; a child the policy stops keeps the scores it has."""
        evidence = self._evidence()
        split = paired and len(measured_keys(self.domain, batch)) == len(batch)
        stages = self.racing.stages(evidence, len(batch)) if split else [len(batch)]
        scored: dict[str, list[Evaluation]] = {}
        running, start = list(children), 0
        for end in stages:
            fresh = self._evaluate(running, batch[start:end], "child",
                                   remember=vectors if start == 0 else None)
            for cid, evaluations in fresh.items():
                scored.setdefault(cid, []).extend(evaluations)
            running = [c for c in running if c.id in fresh and not self.queue.entry(c.id).exact
                       and self.racing.stays(rc.against_parent(self.queue, c, scored[c.id]),
                                             evidence)]
            start = end
        return scored

    def _propose(
        self, explorers: Sequence[Candidate], counts: Sequence[int],
        fresh: dict[str, list[Evaluation]],
    ) -> list[Candidate]:
        """Ask for ``counts[i]`` children of explorer i (concurrently; in explorer order)."""
        jobs = [(explorer, fresh[explorer.id], self._context(position, count))
                for position, (explorer, count) in enumerate(zip(explorers, counts, strict=True))
                if count > 0]
        children, failures = propose_children(self.proposer, jobs, self.config.max_workers)
        self.budget.proposals += sum(context.num_proposals for _, _, context in jobs)
        for failure in failures:
            self.proposal_failures[failure.kind] += 1
            self._emit(ev.ProposalFailed(self.iteration, failure.parent_id, failure.reason))
        return children

    def _epsilon_filter(
        self, children: list[Candidate]
    ) -> tuple[list[Candidate], dict[str, np.ndarray]]:
        """Children outside the ε-net (farthest first), and their embeddings."""
        if not children:
            return [], {}
        vectors = self._embed(children)  # (m, d)
        decision = self.net.filter(vectors)
        for index in decision.rejected:
            child = children[index]
            self._emit(ev.ProposalRejected(self.iteration, child.parents[0], child.id,
                                           decision.distances[index], self.epsilon))
        kept = [children[i] for i in decision.accepted]
        return kept, {children[i].id: vectors[i] for i in decision.accepted}

    def _maybe_summarize(self) -> None:
        every = self.config.summarize_every
        if self.summarizer is None or every == 0 or self.iteration % every:
            return
        rng = np.random.default_rng([self.config.seed, 2, self.iteration])
        asked = summary_request(self.objective, self.summary, self.queue.entries(), self.summarized,
                                self.config.summary_sample_size, rng, self.iteration)
        if asked is None:
            return
        request, ids = asked
        result = self.summarizer.summarize(request)
        if not result.ok:
            log.warning("summary not updated at iteration %d: %s", self.iteration, result.error)
            return
        self.summary = result.summary
        self.summarized.update(ids)
        self._new_summary = (result.summary, result.reasoning, ids)
        self._emit(ev.SummaryUpdated(self.iteration, result.summary, result.reasoning, ids))

    def _finish(self, reason: str) -> OptimizationResult:
        """Final selection: re-evaluate the policy's pool on the full validation set."""
        search_state = self.state()
        final = self._final_scores()
        if final:
            best_id = max(final, key=lambda cid: (_mean(final[cid]), -self.queue.entry(cid).index))
            scores = [e.score for e in final[best_id]]
        else:
            best_id = (self.queue.best() or self.queue.entries()[0]).candidate.id
            scores = self.queue.entry(best_id).scores
        entry = self.queue.entry(best_id)
        if best_id != self.best_id:
            self.best_id = best_id
            self._emit(ev.NewBest(self.iteration, best_id, entry.mean, len(entry.history)))
        # The stored state stays the search's, so a resume continues the search itself.
        self._write_checkpoint({**search_state, "final_segments": self._final_segments})
        low, high = confidence_interval_95(scores)
        self._emit(ev.RunFinished(self.run_id, best_id, _mean(scores), low, high, self.iteration,
                                  self.budget.evaluations, self.budget.proposals,
                                  self.budget.cost_usd))
        return OptimizationResult(
            best=entry.candidate, best_score=_mean(scores), ci_low=low, ci_high=high,
            num_final_scores=len(final.get(best_id, ())), history_mean=entry.mean,
            history_num_scores=len(entry.history), iterations=self.iteration,
            evaluations=self.budget.evaluations, proposals=self.budget.proposals,
            cost_usd=self.budget.cost_usd, wall_s=self.budget.wall_s,
            num_candidates=len(self.queue), stop_reason=reason, summary=self.summary,
            run_id=self.run_id, runners_up=self._runners_up(best_id))

    def _runners_up(self, best_id: str, most: int = RUNNERS_UP) -> tuple[tuple[Candidate, float], ...]:
        """The ``most`` candidates after ``best_id`` by mean search score, with that mean."""
        ranked = [e for e in self.queue.top_by_mean(most + 1) if e.candidate.id != best_id][:most]
        return tuple((e.candidate, e.mean) for e in ranked)

    def _final_scores(self) -> dict[str, list[Evaluation]]:
        """Scores of the final pool on every validation instance (as many as the budget fits)."""
        split = VAL if self.instances[VAL] else TRAIN
        keys = self._batch_ids(split, range(len(self.instances[split])))
        most = self.config.max_evaluations
        fits = self.config.num_pool if most is None else (
            max(0, most - self.budget.evaluations) // max(1, batch_cost(self.domain, len(keys))))
        pool = self.queue.top_by_mean(min(self._pool_size(), fits))
        first = self._trials_written
        final = self._evaluate([e.candidate for e in pool if not e.exact], keys, "final")
        final |= {e.candidate.id: e.latest() for e in pool if e.exact}  # known: nothing to measure
        if self._trials_written > first:
            self._final_segments.append((first, self._trials_written - first))
        return final

    # ---- helpers ---------------------------------------------------------------------

    def _context(self, position: int, count: int) -> ProposalContext:
        seed = int(np.random.SeedSequence([self.config.seed, 1, self.iteration, position])
                   .generate_state(1)[0])
        return ProposalContext(self.objective, self.summary, count, self.iteration, seed)

    def _remember(self, candidate: Candidate, vector: np.ndarray, iteration: int | None = None) -> None:
        if self.net is None:
            self.net = EpsilonNet(self.epsilon, dim=len(vector))
        self.net.add(vector)
        self.queue.add(candidate)
        it = self.iteration if iteration is None else iteration
        self._new_candidates.append(NewCandidate(candidate, [float(x) for x in vector], it))

    def _embed(self, candidates: Sequence[Candidate]) -> np.ndarray:
        return np.asarray(self.embedder.embed([c.text() for c in candidates]), dtype=np.float32)

    def _instance(self, key: str) -> Any:
        split, index = key.split("/")
        return self.instances[split][int(index)]

    @staticmethod
    def _batch_ids(split: str, indices: Sequence[int] | range) -> list[str]:
        return [f"{split}/{i}" for i in indices]

    def _best_mean(self) -> float | None:
        best = self.queue.best()
        return best.mean if best else None

    def _update_best(self) -> None:
        best = self.queue.best()
        if best is not None and best.candidate.id != self.best_id:
            self.best_id = best.candidate.id
            self._emit(ev.NewBest(self.iteration, best.candidate.id, best.mean, len(best.history)))

    def _final_reserve(self, pool: int) -> int:
        """Evaluations kept for a final pool of ``pool``; raises when even ``num_pool`` leaves
        no room for one search step."""
        if self.config.num_pool == 0 or self.config.max_evaluations is None:
            return 0
        split = VAL if self.instances[VAL] else TRAIN
        each = batch_cost(self.domain, len(self.instances[split]))
        most = self.config.num_pool * each
        search = self.config.max_evaluations - most
        if search < batch_cost(self.domain, self.sampler.batch_size):
            raise ValueError(
                f"max_evaluations={self.config.max_evaluations} leaves {search} evaluations for "
                f"the search after reserving {most} for the final selection (num_pool="
                f"{self.config.num_pool} x {each} evaluations on the {split} set); "
                "raise max_evaluations, or lower num_pool (0 skips the final selection).")
        return pool * each

    def _pool_size(self) -> int:
        return self.reevaluation.final_pool(self._evidence(), self.config.num_pool)

    def _evidence(self) -> rv.Evidence:
        return rv.evidence_from(self.queue, max(self.config.num_pool, self.config.num_candidates + 1))

    def _emit(self, event: ev.Event) -> None:
        self.events.emit(event)

    # ---- persistence -----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "iteration": self.iteration,
            "sampler": self.sampler.state(),
            "val_sampler": self.val_sampler.state() if self.val_sampler else None,
            "budget": self.budget.state(),
            "summary": self.summary,
            "summarized_ids": sorted(self.summarized),
            "best_id": self.best_id,
            "final_segments": [list(s) for s in self._final_segments],
            "proposal_failures": dict(sorted(self.proposal_failures.items())),
        }

    def _write_checkpoint(self, state: dict[str, Any] | None = None) -> None:
        if self.checkpoint is not None:
            self.checkpoint.write(
                self.iteration, candidates=self._new_candidates, trials=self._new_trials,
                summary=self._new_summary, state=state or self.state(),
                best_candidate_id=self.best_id)
        self._new_candidates, self._new_trials, self._new_summary = [], [], None

    def _restore(self, snapshot: Snapshot) -> str:
        """Rebuild memory, queue and ε-net from a stored run; returns the seed's id."""
        for new in snapshot.candidates:
            vector = (np.asarray(new.embedding, dtype=np.float32) if new.embedding is not None
                      else self._embed([new.candidate])[0])
            self._remember(new.candidate, vector, new.iteration)
        state = snapshot.state
        self._final_segments = [(int(a), int(n)) for a, n in state.get("final_segments", [])]
        final = {i for a, n in self._final_segments for i in range(a, a + n)}
        for position, (cid, trial) in enumerate(snapshot.trials):
            if position not in final:  # final-selection scores are not part of the search
                self.queue.record(cid, [trial])
        self._trials_written = len(snapshot.trials)
        self.iteration = int(state["iteration"])
        self.sampler.restore(state["sampler"])
        if self.val_sampler and state.get("val_sampler"):
            self.val_sampler.restore(state["val_sampler"])
        self.budget.restore(state["budget"])
        self.budget.reserved_evaluations = self._final_reserve(self._pool_size())
        self.summary = state.get("summary", "")
        self.summarized = set(state.get("summarized_ids", []))
        self.best_id = state.get("best_id")
        self.proposal_failures = Counter(state.get("proposal_failures", {}))
        self.queue.push(e.candidate.id for e in self.queue.entries())
        self._new_candidates, self._new_trials = [], []
        return snapshot.candidates[0].candidate.id


def _mean(values: Sequence[Any]) -> float:
    scores = [v.score if isinstance(v, Evaluation) else float(v) for v in values]
    return math.fsum(scores) / len(scores) if scores else math.nan


