"""POLCA, ``dspy.GEPA`` and ``dspy.MIPROv2`` on the same program, data, metric and budget.

Each contestant gets the same student (``dspy.Predict("question -> answer")`` with the
seed instruction), the same trainset and devset, the same counting metric and a budget in
metric calls; the task LM and the proposer LM are ``dspy.LM``/``LLMClient`` clients of two
scripted servers (the task model and the simulated proposer). Settings differ from each
optimizer's defaults only where the budget or instruction-only search needs it:

- POLCA: ``max_evaluations`` = budget, minibatch 5, a serial executor.
- GEPA: ``max_metric_calls`` = budget, ``num_threads=1``; GEPA checks the budget between
  iterations, so it may overshoot; the calls it really made are reported.
- MIPROv2: zero-shot (no demos; the other contestants search instructions only), the
  data/program/tip/few-shot aware proposer parts off (the simulated proposer reads only
  the basic instruction), minibatch 5, a full evaluation every 5 trials, as many trials
  as the budget pays for and MIPROv2's own ratio of candidates to trials (at least 6
  candidates); the calls made are reported.

A contestant that raises is recorded as returning the seed program, with the error.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dspy

from benchmarks.prompts.task import FeedbackMetric

MINIBATCH = 5
MIPRO_FULL_EVAL_STEPS = 5
MIPRO_CANDIDATES = 6
MIPRO_FIXED_CALLS_PER_DEV = 3


class CountingMetric:
    """The shared feedback metric, counting every call (thread-safe)."""

    def __init__(self, metric: FeedbackMetric) -> None:
        self.metric = metric
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,
                 pred_trace: Any = None) -> dspy.Prediction:
        with self._lock:
            self.calls += 1
        return self.metric(gold, pred, trace, pred_name, pred_trace)

    def score_only(self, gold: Any, pred: Any, trace: Any = None) -> float:
        """The same metric as a plain number, for MIPROv2's evaluator."""
        return float(self(gold, pred, trace).score)


@dataclass(frozen=True)
class Setup:
    """What every contestant of one run shares."""

    student: dspy.Module
    trainset: list[dspy.Example]
    devset: list[dspy.Example]
    metric: CountingMetric
    task_lm: dspy.LM
    proposer_lm: dspy.LM
    proposer_api_base: str
    budget: int
    seed: int


def run_polca(setup: Setup) -> dspy.Module:
    from polca.config import LLMConfig
    from polca.dspy import POLCA
    from polca.llm import LLMClient

    client = LLMClient(LLMConfig(model="openai/scripted", api_base=setup.proposer_api_base, cache=False,
                                 max_retries=0, timeout_s=30.0))
    optimizer = POLCA(setup.metric, llm=client, task_lm=setup.task_lm, max_evaluations=setup.budget,
                      batch_size=MINIBATCH, seed=setup.seed, executor="serial")
    return optimizer.compile(setup.student, trainset=setup.trainset, valset=setup.devset)


def run_gepa(setup: Setup) -> dspy.Module:
    optimizer = dspy.GEPA(metric=setup.metric, max_metric_calls=setup.budget, reflection_lm=setup.proposer_lm,
                          num_threads=1, seed=setup.seed, track_stats=False)
    with dspy.context(lm=setup.task_lm):
        return optimizer.compile(setup.student, trainset=setup.trainset, valset=setup.devset)


def mipro_trials(budget: int, num_dev: int) -> int:
    """Trials a budget pays for. Measured with dspy 3.4.1, minibatch 5, a full evaluation
    every 5 trials and 15 dev examples: calls = 55 + 8 * trials (fixed full evaluations,
    then per trial a minibatch and a share of the periodic full evaluation)."""
    per_trial = MINIBATCH + num_dev / MIPRO_FULL_EVAL_STEPS
    fixed = MIPRO_FIXED_CALLS_PER_DEV * num_dev + 10
    return max(1, int((budget - fixed) // per_trial))


def mipro_candidates(trials: int) -> int:
    """Instruction candidates for ``trials``: MIPROv2's own rule (trials ~ 1.5 x candidates).

    With too few candidates for its trials MIPROv2 runs out of programs to fully
    evaluate and raises ("No valid program found in param_score_dict")."""
    return max(MIPRO_CANDIDATES, math.ceil(trials / 1.5))


def run_mipro(setup: Setup) -> dspy.Module:
    trials = mipro_trials(setup.budget, len(setup.devset))
    optimizer = dspy.MIPROv2(metric=setup.metric.score_only, prompt_model=setup.proposer_lm,
                             task_model=setup.task_lm, max_bootstrapped_demos=0, max_labeled_demos=0,
                             auto=None, num_candidates=mipro_candidates(trials), num_threads=1,
                             seed=setup.seed, verbose=False, track_stats=False)
    with dspy.context(lm=setup.task_lm):
        return optimizer.compile(
            setup.student, trainset=setup.trainset, valset=setup.devset,
            num_trials=trials, minibatch_size=MINIBATCH,
            minibatch_full_eval_steps=MIPRO_FULL_EVAL_STEPS, program_aware_proposer=False,
            data_aware_proposer=False, tip_aware_proposer=False, fewshot_aware_proposer=False)


CONTESTANTS: dict[str, Callable[[Setup], dspy.Module]] = {
    "polca": run_polca,
    "gepa": run_gepa,
    "miprov2": run_mipro,
}
