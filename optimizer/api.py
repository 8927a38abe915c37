"""``optimize``: the Python entry point of POLCA (``polca.optimize``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from polca.optimizer.checkpoint import RunCheckpoint, Snapshot
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Domain, Embedder, Executor, Proposer
from polca.optimizer.embedding import make_embedder
from polca.optimizer.engine import Engine
from polca.optimizer.executor import make_executor
from polca.optimizer.proposers import LLMProposer
from polca.optimizer.result import OptimizationResult
from polca.optimizer.summarizer import HistorySummarizer, LLMSummarizer, Summarizer

from polca.events import EventBus

if TYPE_CHECKING:
    from polca.optimizer.checkpoint import RunCheckpoint, Snapshot

    from polca.llm import LLMClient
    from polca.store import Store

log = logging.getLogger(__name__)


def optimize(
    domain: Domain,
    proposer: Proposer | None = None,
    *,
    config: OptimizerConfig | None = None,
    llm: LLMClient | None = None,
    store: Store | None = None,
    run_id: str | None = None,
    resume: bool = False,
    events: EventBus | None = None,
    executor: Executor | None = None,
    embedder: Embedder | None = None,
    summarizer: Summarizer | None = None,
    **options: Any,
) -> OptimizationResult:
    """Optimize ``domain`` with POLCA and return the best candidate with its 95% CI.

    ``proposer`` defaults to an ``LLMProposer`` over ``llm``; ``summarizer`` to an
    ``LLMSummarizer`` over ``llm``, or without a client to the offline
    ``HistorySummarizer`` (what raised and lowered the score in this run). ``options`` are
    ``OptimizerConfig`` fields applied on top of ``config``, e.g.
    ``optimize(domain, llm=client, max_evaluations=500, seed=1)``.

    With ``store`` each iteration is checkpointed into a new run, or into the empty run
    ``run_id`` the caller created (so its ``LLMClient`` can record calls under that id
    from the start). ``resume=True`` with ``run_id`` continues a stored run with its
    stored config, unless ``config``/``options`` are given (e.g. a larger budget).
    ``llm.usage.cost_usd`` feeds the ``max_cost_usd`` budget.
    """
    if isinstance(executor, str):
        raise TypeError(
            f"executor={executor!r}: pass an Executor object here, or choose one by name "
            f"through the config: optimize(..., config=OptimizerConfig(executor={executor!r}))"
        )
    if not isinstance(domain, Domain):
        raise TypeError(
            f"domain must implement seed(), instances(), evaluate(candidate, batch) and "
            f"describe() (polca.optimizer.contracts.Domain); got {type(domain).__name__}"
        )
    checkpoint, snapshot = _open_run(store, run_id, resume)
    if snapshot is not None and config is None:
        config = OptimizerConfig.from_dict(snapshot.config)
    config = (config or OptimizerConfig()).replace(**options)
    if checkpoint is None and store is not None:
        checkpoint = RunCheckpoint.create(store, config.to_dict())
    engine = Engine(
        domain,
        _proposer(proposer, llm),
        config,
        embedder=embedder or make_embedder(config.embedder),
        executor=executor or make_executor(config.executor, config.max_workers),
        summarizer=_summarizer(summarizer, llm, config),
        events=events,
        checkpoint=checkpoint,
        cost_usd=(lambda: llm.usage.cost_usd) if llm is not None else (lambda: 0.0),
    )
    return _run(engine, checkpoint, snapshot)


def _open_run(
    store: Store | None, run_id: str | None, resume: bool
) -> tuple[RunCheckpoint | None, Snapshot | None]:
    """The stored run to write into (and, to resume, what it holds)."""
    if run_id is None:
        if resume:
            raise ValueError("resume=True needs store=... and run_id=... naming the run to continue.")
        return None, None
    if store is None:
        raise ValueError(f"run_id={run_id!r} needs store=... holding that run.")
    checkpoint = RunCheckpoint(store, store.get_run(run_id).id)
    snapshot = checkpoint.load()
    if resume and not snapshot.candidates:
        raise ValueError(
            f"run {run_id!r} has no checkpointed iteration to resume from; "
            "leave resume out to start the search in it."
        )
    if not resume and snapshot.candidates:
        raise ValueError(
            f"run {run_id!r} already holds a search; pass resume=True to continue it, "
            "or leave run_id out to start a new run."
        )
    checkpoint.set_status("running")
    return checkpoint, snapshot if resume else None


def _proposer(proposer: Proposer | None, llm: LLMClient | None) -> Proposer:
    if proposer is not None:
        if not isinstance(proposer, Proposer):
            raise TypeError(
                f"proposer must have propose(parent, evaluations, context); got {type(proposer).__name__}"
            )
        return proposer
    if llm is None:
        raise ValueError(
            "no proposer: pass proposer=... (e.g. ScriptedProposer or a skills proposer) or "
            "llm=LLMClient(...) to propose with a model."
        )
    return LLMProposer(llm)


def _summarizer(
    summarizer: Summarizer | None, llm: LLMClient | None, config: OptimizerConfig
) -> Summarizer | None:
    if summarizer is not None or config.summarize_every == 0:
        return summarizer
    return LLMSummarizer(llm) if llm is not None else HistorySummarizer()


def _run(engine: Engine, checkpoint: RunCheckpoint | None, snapshot: Snapshot | None) -> OptimizationResult:
    try:
        result = engine.run(snapshot)
    except KeyboardInterrupt:
        if checkpoint is not None:
            checkpoint.set_status("interrupted")
        raise
    except BaseException:
        if checkpoint is not None:
            checkpoint.set_status("failed")
        raise
    if checkpoint is not None:
        checkpoint.set_status("finished")
    return result
