"""Search faster kernels for several KernelBench problems, one POLCA run each, and score them.

:func:`optimize_problems` runs :func:`polca.optimizer.api.optimize` over a
:class:`~polca.optimizer.domains.kernel.KernelDomain` per problem, then gives the best
candidate a final verdict: the evaluator again, on every seed, with the torch.compile
baseline when the config asks for it (the search itself skips that baseline: building
``torch.compile`` for every candidate costs more than the candidate). A problem where no
candidate scored reports the candidate that got furthest
(:meth:`~polca.optimizer.domains.kernel.KernelDomain.furthest_failure`), failure and all,
so the report still says why.

GPUs: ``executor="thread"`` runs one evaluation per GPU id in ``gpus`` (leased by the
domain, passed to the worker as ``CUDA_VISIBLE_DEVICES``); ``executor="ray"`` (the
``cluster`` extra) sends each evaluation to a Ray task that asks for
``gpus_per_evaluation`` GPUs (1: one evaluation per GPU), so Ray places it on a GPU that
is free and sets the task's ``CUDA_VISIBLE_DEVICES``, which the evaluator's worker inherits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from polca.events import EventBus
from polca.kernels_bench import EvalConfig, KernelResult, Problem
from polca.optimizer.api import optimize
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Executor, Proposer
from polca.optimizer.domains.kernel import DEFAULT_SEEDS, KernelDomain
from polca.optimizer.executor import RayExecutor, ThreadExecutor
from polca.runs import ProblemSpec, kernel_run_name, state_with_outcome

if TYPE_CHECKING:
    from polca.llm import LLMClient
    from polca.store import Store

log = logging.getLogger(__name__)

KernelExecutorName = Literal["thread", "ray"]
RAY_IN_FLIGHT = 64  # Ray tasks kept submitted at once; the cluster's free GPUs run them


@dataclass(frozen=True)
class KernelRunOptions:
    """How each problem is searched.

    ``eval_config`` is the final verdict's config (the search uses it without the
    torch.compile baseline). ``budget_evals`` counts instance evaluations per problem: a
    minibatch of ``batch_size`` seeds is one worker run worth ``batch_size`` evaluations.
    ``gpus`` are GPU ids for the thread executor; ``gpus_per_evaluation`` is the Ray GPU
    resource each evaluation task holds under ``executor="ray"`` (1 places one per GPU;
    0.5 would pack two on each). ``budget_cost_usd`` and ``time_limit_s`` bound each
    problem's search.
    """

    eval_config: EvalConfig = EvalConfig()
    budget_evals: int = 24
    batch_size: int = 2
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    gpus: tuple[str, ...] = ()
    executor: KernelExecutorName = "thread"
    gpus_per_evaluation: float = 1.0
    budget_cost_usd: float | None = None
    time_limit_s: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.budget_evals < self.batch_size:
            raise ValueError(f"budget_evals={self.budget_evals} is below batch_size={self.batch_size}: not one "
                             "candidate could be evaluated. Give at least 4 times batch_size, such as 24.")
        if not 1 <= self.batch_size <= len(self.seeds):
            raise ValueError(f"batch_size={self.batch_size} must lie in 1..{len(self.seeds)} (the number of seeds).")
        if self.executor not in ("thread", "ray"):
            raise ValueError(f"executor={self.executor!r} is unknown; choose 'thread' or 'ray'.")
        if self.executor == "ray" and self.eval_config.device != "cuda":
            raise ValueError("executor='ray' gives each evaluation one GPU, so it needs eval_config.device='cuda'; "
                             "use executor='thread' on a CPU.")
        if not self.gpus_per_evaluation > 0:
            raise ValueError(f"gpus_per_evaluation={self.gpus_per_evaluation!r} must be positive; 1 gives each "
                             "Ray evaluation task one GPU of its own.")
        if self.gpus and self.eval_config.device != "cuda":
            raise ValueError(f"gpus={self.gpus} needs eval_config.device='cuda', got {self.eval_config.device!r}.")


@dataclass(frozen=True)
class ProblemOutcome:
    """One problem's search: the best source and its final verdict."""

    problem_key: str
    source: str
    result: KernelResult
    run_id: str | None
    evaluations: int
    proposals: int
    cost_usd: float
    wall_s: float
    stop_reason: str


def optimize_problems(
    problems: Sequence[Problem], options: KernelRunOptions, *, llm: LLMClient | None = None,
    proposer: Proposer | None = None, store: Store | None = None,
    events_for: Callable[[Problem], EventBus | None] = lambda problem: None,
) -> tuple[ProblemOutcome, ...]:
    """One POLCA run per problem, in order. ``events_for`` gives each run its event bus."""
    if not problems:
        raise ValueError("no problems to optimize; select at least one, such as --problems 1.")
    executor = kernel_executor(options)
    return tuple(optimize_problem(problem, options, llm=llm, proposer=proposer, store=store,
                                  events=events_for(problem), executor=executor) for problem in problems)


def optimize_problem(
    problem: Problem, options: KernelRunOptions, *, llm: LLMClient | None = None,
    proposer: Proposer | None = None, store: Store | None = None, events: EventBus | None = None,
    executor: Executor | None = None,
) -> ProblemOutcome:
    """Search ``problem`` with POLCA, then re-evaluate the best candidate on every seed.

    With a store the run is of kind ``kernel``, named ``kernelbench:PROBLEM``, and ends with
    its problem spec and final verdict in its state (the run contract of :mod:`polca.runs`),
    so ``polca train export --domain kernel`` can turn it into training rows."""
    search_config = replace(options.eval_config, compare_compile=False)
    gpus = options.gpus if options.executor == "thread" else ()
    domain = KernelDomain(problem, search_config, seeds=options.seeds, gpus=gpus)
    config = _search_config(options)
    run_id = None if store is None else store.create_run("kernel", config.to_dict(), name=kernel_run_name(problem.key))
    run = optimize(domain, proposer, config=config, llm=llm, store=store, run_id=run_id, events=events,
                   executor=executor or kernel_executor(options))
    source, result = _final_verdict(problem, domain, run.best, run.best_score, options)
    if store is not None and run.run_id is not None:
        _record_outcome(store, run.run_id, problem, domain, result, options)
    return ProblemOutcome(problem_key=problem.key, source=source, result=result, run_id=run.run_id,
                          evaluations=run.evaluations, proposals=run.proposals, cost_usd=run.cost_usd,
                          wall_s=run.wall_s, stop_reason=run.stop_reason)


def _search_config(options: KernelRunOptions) -> OptimizerConfig:
    # racing off: one worker run checks a kernel on the whole minibatch of seeds (build, load,
    # every input variant, then timing); scored seed by seed, each stage would pay that again
    return OptimizerConfig(
        max_evaluations=options.budget_evals, batch_size=options.batch_size, max_cost_usd=options.budget_cost_usd,
        max_wall_s=options.time_limit_s, seed=options.seed, num_pool=0, num_candidates=1,
        num_proposals=max(2, len(options.gpus)), racing="off")


def problem_spec(problem: Problem, domain: KernelDomain, options: KernelRunOptions) -> ProblemSpec:
    """The problem as ``polca train export`` and ``KernelReward`` read it: the reference, the
    objective in words, and where the reward finds the problem file to re-verify a kernel."""
    check = {"problem_path": str(problem.path.resolve()), "level": problem.level,
             "device": options.eval_config.device, "rules": options.eval_config.rules, "shrink": problem.shrunk}
    return ProblemSpec(id=problem.key, task=domain.describe(), code=problem.source, check=check)


def _record_outcome(store: Store, run_id: str, problem: Problem, domain: KernelDomain, result: KernelResult,
                    options: KernelRunOptions) -> None:
    run = store.get_run(run_id)
    if run.iteration is None:
        log.debug("run %s has no checkpoint; its problem spec is not stored", run_id)
        return
    final = {"correct": result.correct, "failure": result.failure, "reason": result.reason,
             "speedup": result.speedup("eager"), "flags": list(result.flags)}
    state = state_with_outcome(run.state, problem_spec(problem, domain, options), final)
    store.write_iteration(run_id, iteration=run.iteration, state=state)


def _final_verdict(problem: Problem, domain: KernelDomain, best, best_score: float,
                   options: KernelRunOptions) -> tuple[str, KernelResult]:
    """The best source with its result on every seed, or, when nothing scored, the furthest failure."""
    furthest = domain.furthest_failure()  # None after a Ray search, which evaluated copies of the domain
    if best_score <= 0 and furthest is not None:
        return furthest
    source = best.params.get("code", "")
    final = KernelDomain(problem, options.eval_config, seeds=options.seeds, gpus=options.gpus[:1])
    log.info("final verdict for %s on %d seeds", problem.key, len(options.seeds))
    return source, final.evaluate_source(source)


def kernel_executor(options: KernelRunOptions) -> Executor:
    """The executor of ``options``: threads, one per GPU id, or Ray tasks holding GPUs."""
    if options.executor == "ray":
        # Ray's GPU resource, not this cap, decides how many evaluations run at once.
        return RayExecutor(RAY_IN_FLIGHT, num_gpus=options.gpus_per_evaluation)
    return ThreadExecutor(max_workers=max(1, len(options.gpus)))
