"""The DSPy program domain: POLCA searches the instructions of every predictor in a program.

A candidate holds one text parameter per predictor, named ``<predictor_name>.instructions``
after ``dspy.Module.named_predictors()``. Evaluating a candidate on an instance builds a
copy of the program with those instructions, runs it on the instance's example under the
task LM with a fresh trace, and scores the prediction with the user's metric.

The metric may be a plain DSPy metric ``metric(gold, pred, trace=None)`` returning a
number or a bool, or a GEPA-style feedback metric
``metric(gold, pred, trace=None, pred_name=None, pred_trace=None)`` returning
``dspy.Prediction(score=..., feedback=...)``. When an example scores below
``perfect_score`` the feedback given to the proposer holds the metric's feedback (or the
expected labels when the metric gave none) and the trace of every predictor call the
program made on it: which predictor, its inputs and its outputs.

A program that raises on an example is a failed evaluation (score ``failure_score``), not
an exception; so is a metric that raises.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dspy

from polca.optimizer.contracts import Candidate, Evaluation

log = logging.getLogger(__name__)

PARAM_SUFFIX = ".instructions"
_MAX_VALUE_CHARS = 600


@dataclass(frozen=True)
class MetricOutcome:
    """What a metric said about one prediction."""

    score: float
    feedback: str = ""


def param_name(predictor_name: str) -> str:
    """The candidate parameter holding ``predictor_name``'s instructions."""
    return predictor_name + PARAM_SUFFIX


def program_params(program: dspy.Module) -> dict[str, str]:
    """The instructions of every predictor in ``program``, keyed by parameter name."""
    params = {param_name(name): pred.signature.instructions for name, pred in program.named_predictors()}
    if not params:
        raise ValueError(
            f"{type(program).__name__} has no predictors (named_predictors() is empty), so it has "
            "no instructions to optimize; build it from dspy.Predict / dspy.ChainOfThought modules."
        )
    return params


def with_instructions(program: dspy.Module, params: Mapping[str, str]) -> dspy.Module:
    """A deep copy of ``program`` whose predictors carry the instructions in ``params``.

    Predictors without a parameter keep their instructions; a parameter naming no
    predictor raises ValueError listing the known names.
    """
    copy = program.deepcopy()
    predictors = dict(copy.named_predictors())
    known = {param_name(name) for name in predictors}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"parameter(s) {unknown} name no predictor of the program; known: {sorted(known)}")
    for name, predictor in predictors.items():
        text = params.get(param_name(name))
        if text is not None:
            predictor.signature = predictor.signature.with_instructions(text)
    return copy


class Metric:
    """Calls a user metric with the arguments it accepts and reads its answer.

    Accepts ``metric(gold, pred)``, ``metric(gold, pred, trace)`` and GEPA's
    ``metric(gold, pred, trace, pred_name, pred_trace)``; checked at construction.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"metric must be callable as metric(gold, pred, trace=None); got {fn!r}")
        self.fn = fn
        self.num_args = _accepted_args(fn)

    def __call__(self, gold: dspy.Example, pred: Any, trace: Any = None) -> MetricOutcome:
        args = (gold, pred, trace, None, None)[: self.num_args]
        return read_metric_value(self.fn(*args))


def _accepted_args(fn: Callable[..., Any]) -> int:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return 3
    for count in (5, 3, 2):
        try:
            signature.bind(*([None] * count))
        except TypeError:
            continue
        return count
    raise TypeError(
        f"metric {getattr(fn, '__name__', fn)!r} must accept (gold, pred) or (gold, pred, trace) "
        "or (gold, pred, trace, pred_name, pred_trace); its signature is "
        f"{signature}."
    )


def read_metric_value(value: Any) -> MetricOutcome:
    """A metric's answer as (score, feedback): a number, a bool, or an object with ``.score``."""
    feedback = ""
    if isinstance(value, Mapping) and "score" in value:
        feedback = str(value.get("feedback") or "")
        value = value["score"]
    elif hasattr(value, "score") and not isinstance(value, int | float):
        feedback = str(getattr(value, "feedback", "") or "")
        value = value.score
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"the metric returned {value!r}; it must return a number, a bool, or "
            "dspy.Prediction(score=<number>, feedback=<text>)."
        ) from None
    if not math.isfinite(score):
        raise ValueError(f"the metric returned the score {score!r}; scores must be finite numbers.")
    return MetricOutcome(score, feedback)


class DSPyProgramDomain:
    """POLCA's view of a DSPy program, a metric and its data (a ``ValidationDomain``).

    ``trainset`` feeds the minibatches the search learns from; ``valset`` (default: the
    trainset) scores children and the final pool. ``task_lm`` runs the program (default:
    the LM configured with ``dspy.configure`` when the domain is built).
    """

    def __init__(
        self,
        program: dspy.Module,
        metric: Callable[..., Any],
        trainset: Sequence[dspy.Example],
        valset: Sequence[dspy.Example] | None = None,
        *,
        task_lm: dspy.LM | None = None,
        objective: str = "",
        perfect_score: float = 1.0,
        failure_score: float = 0.0,
    ) -> None:
        if not isinstance(program, dspy.Module):
            raise TypeError(f"program must be a dspy.Module; got {type(program).__name__}")
        self.program = program
        self.metric = Metric(metric)
        self.trainset = _check_examples("trainset", trainset)
        self.valset = _check_examples("valset", valset) if valset is not None else []
        self.task_lm = task_lm if task_lm is not None else dspy.settings.lm
        if self.task_lm is None:
            raise ValueError(
                "no task LM: pass task_lm=dspy.LM(...) or call dspy.configure(lm=...) before "
                "optimizing, so the program has a model to run on."
            )
        self.objective = objective
        self.perfect_score = perfect_score
        self.failure_score = failure_score
        self._seed_params = program_params(program)

    def seed(self) -> Candidate:
        return Candidate(dict(self._seed_params), origin="seed")

    def instances(self) -> Sequence[dspy.Example]:
        return self.trainset

    def validation_instances(self) -> Sequence[dspy.Example]:
        return self.valset

    def describe(self) -> str:
        names = ", ".join(sorted(self._seed_params))
        goal = self.objective or "Raise the metric's score on the examples."
        return (
            f"Write the instructions of the predictors of a DSPy program ({names}). "
            f"Each parameter is the natural-language instruction one predictor's language model "
            f"receives as its task. {goal} Scores are the metric's, higher is better "
            f"(best {self.perfect_score:g})."
        )

    def build(self, candidate: Candidate) -> dspy.Module:
        """The program with ``candidate``'s instructions."""
        return with_instructions(self.program, candidate.params)

    def evaluate(self, candidate: Candidate, batch: Sequence[dspy.Example]) -> list[Evaluation]:
        try:
            program = self.build(candidate)
        except ValueError as exc:
            return [Evaluation(self.failure_score, str(exc), status="error") for _ in batch]
        names = {id(pred): name for name, pred in program.named_predictors()}
        return [self._evaluate_one(program, names, example) for example in batch]

    def _evaluate_one(self, program: dspy.Module, names: Mapping[int, str], example: dspy.Example) -> Evaluation:
        with dspy.context(lm=self.task_lm, trace=[]):
            try:
                pred = program(**example.inputs())
            except Exception as exc:
                log.debug("program failed on an example", exc_info=True)
                trace = format_trace(dspy.settings.trace, names)
                feedback = f"the program raised {type(exc).__name__}: {exc}\n{trace}".strip()
                return Evaluation(self.failure_score, feedback, status="failed")
            trace = list(dspy.settings.trace)
        try:
            outcome = self.metric(example, pred, trace)
        except Exception as exc:
            log.debug("metric failed on an example", exc_info=True)
            return Evaluation(self.failure_score, f"the metric raised {type(exc).__name__}: {exc}", status="error")
        if outcome.score >= self.perfect_score:
            return Evaluation(outcome.score, outcome.feedback)
        return Evaluation(outcome.score, self._failure_feedback(example, outcome, trace, names))

    def _failure_feedback(
        self, example: dspy.Example, outcome: MetricOutcome, trace: list, names: Mapping[int, str]
    ) -> str:
        said = outcome.feedback or f"expected {_short(dict(example.labels()))}"
        return f"metric: {said}\n{format_trace(trace, names)}".strip()


def format_trace(trace: Sequence[Any], names: Mapping[int, str]) -> str:
    """One block per predictor call in a DSPy trace: the predictor's name, inputs, outputs."""
    blocks = []
    for step, (predictor, inputs, outputs) in enumerate(trace or []):
        name = names.get(id(predictor), type(predictor).__name__)
        shown = dict(outputs) if hasattr(outputs, "keys") else {"output": outputs}
        shown.pop("trajectory", None)
        blocks.append(f"trace step {step}: predictor {name}\n  inputs: {_short(inputs)}\n  outputs: {_short(shown)}")
    return "\n".join(blocks)


def _short(value: Any) -> str:
    text = repr(dict(value)) if isinstance(value, Mapping) else repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS] + "..."


def _check_examples(name: str, examples: Sequence[dspy.Example] | None) -> list[dspy.Example]:
    items = list(examples or [])
    if not items:
        raise ValueError(f"{name} is empty; pass at least one dspy.Example(...).with_inputs(...).")
    for index, example in enumerate(items):
        if not isinstance(example, dspy.Example):
            raise TypeError(f"{name}[{index}] is a {type(example).__name__}; it must be a dspy.Example.")
        if not example._input_keys:
            raise ValueError(
                f"{name}[{index}] has no input fields; mark them with "
                "dspy.Example(...).with_inputs('question', ...)."
            )
    return items
