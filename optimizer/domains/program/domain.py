"""The program domain: POLCA over the source of one Python function or script, verified and timed.

:class:`ProgramDomain` is the strategy-free adapter the engine sees for one target: the
seed is the file's text, the instances are the target's inputs (indices into them), and
``evaluate_batch`` checks a candidate against the original on a minibatch in the sandbox
(:func:`polca.sandbox.difftest.compare`) and, only when every check passes, times both
interleaved on the whole minibatch (:func:`polca.sandbox.measure.measure`). Score =
measured speedup when all checks pass, 0 otherwise; feedback says which check failed and
how, or the timings. One timing covers the minibatch, so it is one evaluation, not one per
input: the domain is a :class:`~polca.optimizer.contracts.BatchMeasuredDomain`.

For a function target the candidate is a whole module text, but only the target's
definition, the private helpers only the target reaches
(:func:`~polca.optimizer.domains.program.targets.private_helpers`) and the top-level
statements the candidate added are kept
(:func:`~polca.optimizer.domains.program.targets.merge_candidate`), so what is evaluated
is exactly what would be offered. A script target takes the whole file.

Every run goes through the one ``SandboxConfig`` given (backend, image, limits; see
:mod:`.isolation`). :func:`~polca.optimizer.domains.program.run.optimize_file` drives a
whole file: targets, oracle, search, final re-measurement.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from polca.config import SandboxConfig
from polca.optimizer.contracts import Candidate, EvalStatus, Evaluation
from polca.optimizer.domains.program.isolation import DEFAULT_SANDBOX, backend_of, limits_of
from polca.optimizer.domains.program.targets import merge_candidate
from polca.runs import SCRIPT_TARGET
from polca.sandbox.difftest import DiffReport, compare
from polca.sandbox.measure import MeasureResult, measure
from polca.sandbox.target import InputItem, Target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalSettings:
    """How each candidate is timed during the search (the final check times with more rounds).

    Where it runs and its limits are the domain's ``SandboxConfig``, not settings here.
    """

    rounds: int = 5
    min_sample_s: float = 0.01
    warmup: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds < 3:
            raise ValueError(f"rounds={self.rounds!r} is too few for an interval; use an integer of at least 3")
        if not self.min_sample_s > 0:
            raise ValueError(f"min_sample_s={self.min_sample_s!r} must be positive, e.g. 0.01")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, int) or self.warmup < 0:
            raise ValueError(f"warmup={self.warmup!r} must be an integer >= 0 (untimed runs before each round)")


@dataclass(frozen=True)
class Lineage:
    """Where a candidate came from: its parent and its proposer's origin (``seed``, ``skill:<id>``, ``llm``)."""

    parent: str | None
    origin: str
    note: str = ""


class ProgramDomain:
    """One target of one file: a function (``qualname``) or the whole script (``qualname=None``).

    ``source`` is the file's current text; ``inputs`` are inputs on which the original is
    known to be deterministic; ``hot_lines`` is an optional note for the proposer;
    ``sandbox`` is where and within which limits every check and timing runs.
    ``untimed`` are the indices of inputs on which the original raises: they are checked
    (the candidate must raise the same) but never timed, since a timing stops at the
    first exception.
    Because the original is deterministic there, a candidate text that passed the checks
    on an input is not checked on it again; the timing is taken afresh at every evaluation.
    """

    def __init__(self, source: str, qualname: str | None, inputs: Sequence[InputItem], *,
                 module_name: str = "target_module", files: dict[str, str] | None = None,
                 settings: EvalSettings | None = None, sandbox: SandboxConfig = DEFAULT_SANDBOX,
                 hot_lines: str = "", untimed: Collection[int] = ()) -> None:
        if not inputs:
            raise ValueError("ProgramDomain needs at least one input to check candidates on; "
                             "give tests, a script run, or type hints to generate inputs from")
        self.source = source
        self.qualname = qualname
        self.inputs = tuple(inputs)
        self.settings = settings or EvalSettings()
        self.sandbox = sandbox
        self.hot_lines = hot_lines
        self.untimed = frozenset(untimed)
        self._files = {k: v for k, v in (files or {}).items() if k != f"{module_name}.py"}
        self._module_name = module_name
        self.original = self.target(source)
        self._lineage: dict[str, Lineage] = {}
        self._verified: set[tuple[str, int]] = set()  # (file text, input index) that passed every check
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.qualname or SCRIPT_TARGET

    def target(self, source: str) -> Target:
        return Target(source=source, qualname=self.qualname, module_name=self._module_name, files=self._files)

    def resolve(self, code: str) -> str:
        """The file text a candidate stands for (raises ValueError when it cannot be used)."""
        if self.qualname is None:
            compile(code, f"{self._module_name}.py", "exec")
            return code
        return merge_candidate(self.source, code, self.qualname)

    def seed(self) -> Candidate:
        return Candidate({"code": self.source}, origin="seed")

    def instances(self) -> list[int]:
        return list(range(len(self.inputs)))

    def lineage(self, candidate_id: str) -> list[Lineage]:
        """The chain from ``candidate_id`` back to the seed, as recorded during evaluation."""
        chain, current = [], candidate_id
        with self._lock:
            while current in self._lineage and len(chain) < 1000:
                entry = self._lineage[current]
                chain.append(entry)
                current = entry.parent
        return chain

    def evaluate_batch(self, candidate: Candidate, batch: Sequence[int]) -> Evaluation:
        """One measurement of ``candidate`` on the inputs ``batch``: checked on each, then the
        batch timed in one paired run, so the engine records it as one evaluation
        (:class:`~polca.optimizer.contracts.BatchMeasuredDomain`). Every call that times
        measures afresh: a repeat is a new sample of the noise, as the ucb/lcb bounds assume."""
        return self._judge(candidate, batch)[0]

    def evaluate(self, candidate: Candidate, batch: Sequence[int]) -> list[Evaluation]:
        """The per-input view of ``evaluate_batch``: its one measurement for each input, with
        ``metrics["failed"]`` marking the inputs whose checks failed."""
        judged, failing = self._judge(candidate, batch)
        per_input = [{**judged.metrics, "failed": float(i in failing)} if failing else judged.metrics
                     for i in batch]
        return [replace(judged, metrics=m, instance_id=str(i)) for i, m in zip(batch, per_input, strict=True)]

    def _judge(self, candidate: Candidate, batch: Sequence[int]) -> tuple[Evaluation, frozenset[int]]:
        """The batch's one Evaluation and the inputs whose checks failed."""
        with self._lock:
            self._lineage[candidate.id] = Lineage(candidate.parents[0] if candidate.parents else None,
                                                  candidate.origin, candidate.note)
        try:
            resolved = self.resolve(candidate.params.get("code", ""))
        except (ValueError, SyntaxError) as exc:
            return _scored(0.0, f"the candidate cannot be used: {exc}", "failed"), frozenset()
        if resolved == self.source:
            identical = Evaluation(1.0, "identical to the original: speedup 1.0 by definition", exact=True)
            return identical, frozenset()
        unchecked = [i for i in batch if (resolved, i) not in self._verified]
        if unchecked:
            report = self._compare(resolved, [self.inputs[i] for i in unchecked])
            if not report.equal:
                return _failed_checks(unchecked, report)
            with self._lock:
                self._verified.update((resolved, i) for i in unchecked)
        return self._timed(resolved, batch), frozenset()

    def _timed(self, resolved: str, batch: Sequence[int]) -> Evaluation:
        timed = [i for i in batch if i not in self.untimed]
        if not timed:
            return _scored(1.0, f"all {len(batch)} inputs behave like the original; none is timed "
                                "(the original raises on each of them)", "ok")
        timing = self._measure(resolved, [self.inputs[i] for i in timed])
        if timing.status != "ok":
            return _scored(0.0, f"all checks pass but timing failed: {timing.describe()}", "failed")
        feedback = f"all {len(batch)} inputs behave like the original; {timing.describe()}"
        metrics = {"speedup": timing.speedup, "ci_low": timing.ci_low, "ci_high": timing.ci_high}
        return Evaluation(timing.speedup, feedback, metrics, "ok")

    def _compare(self, resolved: str, inputs: list[InputItem]) -> DiffReport:
        return compare(self.original, self.target(resolved), inputs, backend=backend_of(self.sandbox),
                       limits=limits_of(self.sandbox))

    def _measure(self, resolved: str, inputs: list[InputItem]) -> MeasureResult:
        s = self.settings
        return measure(self.original, self.target(resolved), inputs, backend=backend_of(self.sandbox),
                       rounds=s.rounds, min_sample_s=s.min_sample_s, warmup=s.warmup,
                       limits=limits_of(self.sandbox))

    def describe(self) -> str:
        what = (f"the function `{self.qualname}` of this Python module" if self.qualname
                else "this Python script (judged by its stdout and exit status)")
        text = (
            f"Make {what} run faster while behaving exactly like the original: same return "
            "values, same exceptions, same mutation of arguments, same printed output. The "
            "parameter `code` is the whole file; for a function target only that function, the "
            "private helpers (names starting with `_`) that only it calls, and any new imports, "
            "constants or helpers you add are kept; other functions stay as they are. Score: measured speedup over the original (1.0 = same speed) when every "
            "check passes, 0 when any fails."
        )
        return f"{text}\n\n{self.hot_lines}" if self.hot_lines else text


def _scored(score: float, feedback: str, status: EvalStatus) -> Evaluation:
    return Evaluation(score, feedback, {}, status)


def _failed_checks(checked: Sequence[int], report: DiffReport) -> tuple[Evaluation, frozenset[int]]:
    if report.status != "ok":
        return _scored(0.0, f"checks could not run ({report.status}): {report.feedback}", "failed"), frozenset()
    failing = frozenset(checked[o.index] for o in report.outcomes if not o.equal)
    text = f"a check failed, so the score is 0. {report.feedback}"
    return Evaluation(0.0, text, {"failed_inputs": float(len(failing))}, "failed"), failing
