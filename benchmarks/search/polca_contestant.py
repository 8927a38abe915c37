"""POLCA through its real stack: ``polca.optimize`` with its LLM proposer and summarizer.

Every model call goes LLMProposer / LLMSummarizer -> ``polca.llm.LLMClient`` -> litellm
-> HTTP -> ``ScriptedServer`` on 127.0.0.1 -> the simulated model, so POLCA reads and
writes the same prompts it would with a real model. The engine runs with its defaults
except the minibatch size (the benchmark's), the evaluation budget, the seed and a
serial executor (the harness runs two contestants at a time on two cores). The
ablations change one knob each: ``epsilon=0`` (no ε-net), ``summarize_every=0`` (no
summarizer), ``reevaluation='fixed'`` (the paper's re-scoring schedule),
``expansion='spread'`` (the paper's expansion: children of every explorer),
``racing='off'`` (every child scored on the whole minibatch). A record's
notes count the children the ε-net dropped and the evaluations spent per role.

The trace follows the engine's events: the leader (``NewBest``, the argmax of the mean)
after the evaluations spent so far, then the candidate the final selection returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polca
from benchmarks.search.model import SimulatedModel
from benchmarks.search.outcome import Outcome, RunSpec, TracePoint
from benchmarks.search.problems import PARAM_NAME, SyntheticProblem
from polca.config import LLMConfig
from polca.events import EventBus
from polca.llm import LLMClient
from polca.optimizer import events as ev
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Candidate, Evaluation
from polca.testing import ScriptedServer


class _RecordingDomain:
    """The problem as a Domain that remembers each candidate's text by id."""

    def __init__(self, problem: SyntheticProblem) -> None:
        self.problem = problem
        self.texts: dict[str, str] = {}

    def seed(self) -> Candidate:
        return self.problem.seed()

    def instances(self) -> list[str]:
        return self.problem.instances()

    def describe(self) -> str:
        return self.problem.describe()

    def evaluate(self, candidate: Candidate, batch: Sequence[Any]) -> list[Evaluation]:
        self.texts[candidate.id] = candidate.params.get(PARAM_NAME, "")
        return self.problem.evaluate(candidate, batch)


class _LeaderTrace:
    """Turns ``CandidateEvaluated`` / ``NewBest`` events into trace points."""

    def __init__(self, domain: _RecordingDomain, events: EventBus) -> None:
        self.domain = domain
        self.evaluations = 0
        self.points: list[TracePoint] = []
        self.rejected = 0  # children the ε-net dropped unevaluated
        self.roles: dict[str, int] = {}  # instance evaluations by role (explorer, child, final)
        events.subscribe(ev.CandidateEvaluated, self._evaluated)
        events.subscribe(ev.NewBest, self._new_best)
        events.subscribe(ev.ProposalRejected, self._rejected)

    def _rejected(self, event: ev.ProposalRejected) -> None:
        self.rejected += 1

    def _evaluated(self, event: ev.CandidateEvaluated) -> None:
        self.evaluations = max(self.evaluations, event.evaluations_used)
        self.roles[event.role] = self.roles.get(event.role, 0) + len(event.scores)

    def _new_best(self, event: ev.NewBest) -> None:
        self.points.append(TracePoint(self.evaluations, self.domain.texts[event.candidate_id]))


def _run_polca(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel, **knobs: Any) -> Outcome:
    domain = _RecordingDomain(problem)
    events = EventBus()
    trace = _LeaderTrace(domain, events)
    config = OptimizerConfig(
        batch_size=spec.minibatch, max_evaluations=spec.budget_evals, seed=spec.seed,
        executor="serial", max_workers=1,
    ).replace(**knobs)  # fmt: skip
    with ScriptedServer(model.respond) as server:
        llm = LLMClient(
            LLMConfig(model="openai/simulated", api_base=server.api_base, cache=False,
                      max_retries=1, backoff_base_s=0.01, timeout_s=60.0)
        )  # fmt: skip
        result = polca.optimize(domain, llm=llm, config=config, events=events)
        failed = len(server.unscripted)
    returned = result.best.params[PARAM_NAME]
    points = [*trace.points, TracePoint(result.evaluations, returned)]
    spent = " ".join(f"{role}={count}" for role, count in sorted(trace.roles.items()))
    notes = f"rejected={trace.rejected} {spent}" + (f"; {failed} model requests failed" if failed else "")
    return Outcome(returned, result.evaluations, points, model.calls, notes)


def run_polca_full(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """POLCA with the engine's defaults: ε-net and summarizer on."""
    return _run_polca(spec, problem, model)


def run_polca_no_epsilon_net(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """POLCA with ``epsilon=0``: every child is evaluated, however close to memory."""
    return _run_polca(spec, problem, model, epsilon=0.0)


def run_polca_fixed_reevaluation(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """POLCA with ``reevaluation='fixed'``: every explorer re-scored, the whole final pool."""
    return _run_polca(spec, problem, model, reevaluation="fixed")


def run_polca_spread_expansion(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """POLCA with ``expansion='spread'``: children of every explorer, not only the leader."""
    return _run_polca(spec, problem, model, expansion="spread")


def run_polca_no_racing(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """POLCA with ``racing='off'``: every child on the whole minibatch, however it starts."""
    return _run_polca(spec, problem, model, racing="off")


def run_polca_no_summarizer(spec: RunSpec, problem: SyntheticProblem, model: SimulatedModel) -> Outcome:
    """POLCA with ``summarize_every=0``: proposals see no advice."""
    return _run_polca(spec, problem, model, summarize_every=0)
