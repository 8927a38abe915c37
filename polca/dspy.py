"""POLCA as a DSPy optimizer: ``polca.dspy.POLCA(metric, ...).compile(student, trainset=...)``.

The face of ``polca.optimizer.domains.dspy_teleprompter``, which glues the engine
(``polca.optimize``) to the DSPy program domain (``polca.optimizer.domains.prompt``)::

    import dspy
    from polca.dspy import POLCA
    from polca.llm import LLMClient
    from polca.config import LLMConfig

    dspy.configure(lm=dspy.LM("openai/gpt-4o-mini"))            # the task LM
    proposer_lm = LLMClient(LLMConfig(model="openai/gpt-4o"))   # the proposer LM
    optimizer = POLCA(metric, llm=proposer_lm, max_evaluations=300)
    optimized = optimizer.compile(program, trainset=train, valset=val)
    optimized.polca_result.best_score

Candidates are the instructions of every predictor (parameters named
``<predictor_name>.instructions``). The metric may return a number or
``dspy.Prediction(score=..., feedback=...)`` (GEPA's feedback metrics work as they are);
failures reach the proposer with the metric's feedback and the program's trace. Budgets
(``max_evaluations`` counts metric calls), resume, store and events are the engine's.
"""

from polca.optimizer.domains.dspy_teleprompter import POLCA

__all__ = ["POLCA"]
