"""``optimize``: the Python entry point of POLCA (``polca.optimize``), and
``optimize_anything``: GEPA's call shape over it (``polca.optimize_anything``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polca.events import EventBus
from polca.optimizer.checkpoint import RunCheckpoint, Snapshot
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Candidate, Domain, Embedder, Evaluation, Executor, Proposer
from polca.optimizer.embedding import make_embedder
from polca.optimizer.engine import Engine
from polca.optimizer.executor import make_executor
from polca.optimizer.proposers import LLMProposer
from polca.optimizer.result import OptimizationResult
from polca.optimizer.summarizer import HistorySummarizer, LLMSummarizer, Summarizer

if TYPE_CHECKING:
    from polca.llm import LLMClient
    from polca.optimizer.checkpoint import RunCheckpoint, Snapshot
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


# ---- optimize_anything: GEPA's call shape, POLCA's search ------------------------------

STR_PARAM = "current_candidate"  # the parameter a plain-text seed is kept under (as GEPA does)


@dataclass(frozen=True)
class AnythingResult:
    """What ``optimize_anything`` returns: GEPA's ``best_candidate`` (a ``str`` when the
    seed was one, else the dict) and POLCA's full ``OptimizationResult``."""

    best_candidate: str | dict[str, str]
    best_score: float
    result: OptimizationResult


class EvaluatorDomain:
    """A Domain over a GEPA-style evaluator: ``evaluator(candidate, example)`` returning a
    score or ``(score, side_info)``; called without ``example`` when there is no dataset.

    A raised evaluator is that instance's failure (score 0, status ``error``); side
    information becomes the feedback text, and numbers under ``side_info["scores"]`` the
    metrics.
    """

    def __init__(
        self, seed: str | dict[str, str], evaluator: Callable[..., Any], *,
        dataset: Sequence[Any] | None = None, valset: Sequence[Any] | None = None,
        objective: str | None = None, background: str | None = None,
    ) -> None:  # fmt: skip
        if not callable(evaluator):
            raise TypeError(f"evaluator must be callable; got {type(evaluator).__name__}")
        if isinstance(seed, str):
            seed = {STR_PARAM: seed}
        elif not (isinstance(seed, dict) and seed and all(isinstance(v, str) for v in seed.values())):
            raise TypeError("seed_candidate must be a str or a non-empty dict of str parameters.")
        self.str_mode = STR_PARAM in seed and len(seed) == 1
        self.params = dict(seed)
        self.evaluator = evaluator
        self.single = dataset is None and valset is None
        self.train = [None] if self.single else list(dataset if dataset is not None else valset)
        self.val = list(valset) if valset is not None and dataset is not None else []
        parts = [objective or "Maximize the evaluator's score.", background or ""]
        self.objective = "\n\n".join(p for p in parts if p)

    def seed(self) -> Candidate:
        return Candidate(dict(self.params))

    def instances(self) -> list[Any]:
        return list(self.train)

    def validation_instances(self) -> list[Any]:
        return list(self.val)

    def describe(self) -> str:
        return self.objective

    def unwrap(self, candidate: Candidate) -> str | dict[str, str]:
        return candidate.params[STR_PARAM] if self.str_mode else dict(candidate.params)

    def evaluate(self, candidate: Candidate, batch: Sequence[Any]) -> list[Evaluation]:
        return [self._one(self.unwrap(candidate), example) for example in batch]

    def _one(self, candidate: str | dict[str, str], example: Any) -> Evaluation:
        try:
            out = self.evaluator(candidate) if self.single else self.evaluator(candidate, example)
        except Exception as exc:  # a candidate's failure is data
            return Evaluation(0.0, f"evaluator raised {type(exc).__name__}: {exc}", status="error")
        score, side_info = out if isinstance(out, tuple) else (out, {})
        side_info = dict(side_info or {})
        scores = side_info.get("scores") if isinstance(side_info.get("scores"), dict) else {}
        metrics = {k: float(v) for k, v in scores.items() if isinstance(v, int | float)}
        feedback = "\n".join(f"{k}: {v}" for k, v in side_info.items())
        return Evaluation(float(score), feedback, metrics)


def optimize_anything(
    seed_candidate: str | dict[str, str],
    *,
    evaluator: Callable[..., Any],
    dataset: Sequence[Any] | None = None,
    valset: Sequence[Any] | None = None,
    objective: str | None = None,
    background: str | None = None,
    config: Any = None,
    max_metric_calls: int | None = None,
    **kwargs: Any,
) -> AnythingResult:
    """GEPA's ``optimize_anything`` call, run by POLCA: switch with one import.

    ``seed_candidate``, ``evaluator``, ``dataset``, ``valset``, ``objective`` and
    ``background`` mean what they mean in GEPA (single-task search without a dataset,
    multi-task with one, generalization with a valset). ``config`` is a POLCA
    ``OptimizerConfig`` or GEPA's ``GEPAConfig``, of which ``engine.max_metric_calls``
    (the budget in evaluator calls), ``engine.seed`` and ``reflection.reflection_lm`` (a
    litellm model name) are read; other GEPA settings have no POLCA meaning and are
    ignored. ``kwargs`` go to :func:`optimize` (``proposer=``, ``llm=``, ``store=``, or
    ``OptimizerConfig`` fields). Seedless mode (``seed_candidate=None``) is not supported.
    """
    if seed_candidate is None:
        raise ValueError("optimize_anything needs a seed_candidate; POLCA has no seedless mode.")
    domain = EvaluatorDomain(seed_candidate, evaluator, dataset=dataset, valset=valset,
                             objective=objective, background=background)
    polca_config, model = _from_gepa_config(config)
    if max_metric_calls is not None:
        polca_config = polca_config.replace(max_evaluations=max_metric_calls)
    if model is not None and "llm" not in kwargs and "proposer" not in kwargs:
        from polca.config import LLMConfig
        from polca.llm import LLMClient

        kwargs["llm"] = LLMClient(LLMConfig(model=model))
    result = optimize(domain, config=polca_config, **kwargs)
    return AnythingResult(domain.unwrap(result.best), result.best_score, result)


def _from_gepa_config(config: Any) -> tuple[OptimizerConfig, str | None]:
    """POLCA's config (and the reflection model's name) from an OptimizerConfig, a
    GEPAConfig or None."""
    if config is None or isinstance(config, OptimizerConfig):
        return config or OptimizerConfig(), None
    engine, reflection = getattr(config, "engine", None), getattr(config, "reflection", None)
    if engine is None:
        raise TypeError(
            f"config must be a polca OptimizerConfig or a gepa GEPAConfig; got {type(config).__name__}")
    polca_config = OptimizerConfig(seed=int(getattr(engine, "seed", 0) or 0))
    calls = getattr(engine, "max_metric_calls", None)
    if calls is not None:
        polca_config = polca_config.replace(max_evaluations=int(calls))
    model = getattr(reflection, "reflection_lm", None)
    return polca_config, model if isinstance(model, str) else None
