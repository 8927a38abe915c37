"""The DSPy teleprompter: POLCA searching the instructions of a DSPy program's predictors.

``POLCA(metric, ...).compile(student, trainset=..., valset=...)`` keeps DSPy's
``Teleprompter.compile`` contract: ``student`` is left unchanged and an optimized copy is
returned, carrying the run as ``.polca_result``. It glues the engine (``polca.optimize``)
to the DSPy program domain (``prompt.DSPyProgramDomain``), so it lives on the domains
floor; users import it from the thin face ``polca.dspy``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import dspy
from dspy.teleprompt.teleprompt import Teleprompter

from polca.optimizer.api import optimize
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.domains.prompt import DSPyProgramDomain, Metric

if TYPE_CHECKING:
    from polca.events import EventBus
    from polca.llm import LLMClient
    from polca.optimizer.contracts import Proposer
    from polca.optimizer.result import OptimizationResult
    from polca.store import Store

__all__ = ["POLCA"]


class POLCA(Teleprompter):
    """DSPy optimizer that searches predictor instructions with POLCA.

    Args:
        metric: ``metric(gold, pred, trace=None)`` returning a number or a bool, or a GEPA
            feedback metric ``metric(gold, pred, trace, pred_name, pred_trace)`` returning
            ``dspy.Prediction(score=..., feedback=...)``. Higher is better.
        llm: the proposer LM (``polca.llm.LLMClient``); also drives the summarizer.
        proposer: any ``Proposer`` instead of the LLM one (e.g. a ``ScriptedProposer``).
        task_lm: the LM that runs the program (default: ``dspy.settings.lm`` at compile).
        config: an ``OptimizerConfig``; ``options`` are its fields on top, e.g.
            ``max_evaluations=300, seed=1``.
        store, run_id, resume, events: as in ``polca.optimize``; ``resume=True`` with a
            ``run_id`` continues a stored run.
        objective: a sentence about the task, shown to the proposer.
        perfect_score: scores below it count as failures whose trace is fed back.
    """

    def __init__(
        self,
        metric: Callable[..., Any],
        *,
        llm: LLMClient | None = None,
        proposer: Proposer | None = None,
        task_lm: dspy.LM | None = None,
        config: OptimizerConfig | None = None,
        store: Store | None = None,
        run_id: str | None = None,
        resume: bool = False,
        events: EventBus | None = None,
        objective: str = "",
        perfect_score: float = 1.0,
        **options: Any,
    ) -> None:
        super().__init__()
        Metric(metric)  # rejects a metric of the wrong shape now, not mid-run
        if llm is None and proposer is None:
            raise ValueError(
                "POLCA needs a proposer LM: pass llm=LLMClient(LLMConfig(model=...)), "
                "or proposer=... (e.g. ScriptedProposer) to propose without a model."
            )
        self.metric = metric
        self.llm = llm
        self.proposer = proposer
        self.task_lm = task_lm
        self.config = (config or OptimizerConfig()).replace(**options) if (config or options) else None
        self.store = store
        self.run_id = run_id
        self.resume = resume
        self.events = events
        self.objective = objective
        self.perfect_score = perfect_score

    def compile(
        self,
        student: dspy.Module,
        *,
        trainset: Sequence[dspy.Example],
        teacher: dspy.Module | None = None,
        valset: Sequence[dspy.Example] | None = None,
        **kwargs: Any,
    ) -> dspy.Module:
        """The optimized copy of ``student`` (left unchanged); its run is ``.polca_result``."""
        if teacher is not None:
            raise ValueError("POLCA optimizes instructions only and takes no teacher; leave teacher out.")
        if kwargs:
            raise TypeError(f"unknown compile option(s) {sorted(kwargs)}; POLCA.compile takes trainset and valset.")
        domain = DSPyProgramDomain(
            student,
            self.metric,
            trainset,
            valset,
            task_lm=self.task_lm,
            objective=self.objective,
            perfect_score=self.perfect_score,
        )
        result = self.optimize(domain)
        optimized = domain.build(result.best)
        optimized.polca_result = result
        return optimized

    def optimize(self, domain: DSPyProgramDomain) -> OptimizationResult:
        """Run the engine on ``domain`` with this optimizer's proposer, budgets and store."""
        return optimize(
            domain,
            self.proposer,
            config=self.config,
            llm=self.llm,
            store=self.store,
            run_id=self.run_id,
            resume=self.resume,
            events=self.events,
        )
