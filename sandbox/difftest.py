"""Differential checking: does the candidate behave like the original on these inputs?

For each input both sides run in the sandbox's worker on fresh unpickled copies, and four
checks compare them: the return value (deep equality, floats within tolerance, NaN equal
to NaN, numpy arrays by shape/dtype/value, iterators materialised up to ``max_items``),
the exception raised (type and message), the arguments after the call (a function that
mutates its input must mutate it the same way), and what was printed to stdout. Script
targets are compared on stdout and on how they exit.

The comparison runs inside the sandbox, so the host never unpickles the candidate's
objects; :func:`polca.sandbox.worker.first_difference` is the deep equality used.
An original that disagrees with itself is non-deterministic and cannot be an oracle:
:func:`self_check` finds that out before candidates are judged against it.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from polca.sandbox.target import InputItem, Target, encode_inputs, pair_job, run_worker
from polca.sandbox.types import BackendName, Limits

logger = logging.getLogger(__name__)

Check = Literal["return", "exception", "mutation", "stdout", "input"]
DiffStatus = Literal["ok", "error", "timeout", "sandbox_error"]
_FEEDBACK_CHARS = 1200


@dataclass(frozen=True)
class Mismatch:
    """One failed check: where the first difference is, and what each side gave (reprs, cut)."""

    check: Check
    path: str
    expected: str
    got: str
    reason: str = ""


@dataclass(frozen=True)
class InputOutcome:
    index: int
    mismatches: tuple[Mismatch, ...]

    @property
    def equal(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class DiffReport:
    """Per-input outcomes and a short feedback text for people and proposers.

    ``status != "ok"`` means the comparison could not run (a side did not load, the run
    timed out): ``outcomes`` is empty, ``failed_side`` and ``message`` say why.
    """

    status: DiffStatus
    outcomes: tuple[InputOutcome, ...]
    feedback: str
    failed_side: str | None = None
    message: str = ""

    @property
    def equal(self) -> bool:
        """True when the comparison ran and every input matched."""
        return self.status == "ok" and all(o.equal for o in self.outcomes)

    @property
    def n_failed(self) -> int:
        return sum(not o.equal for o in self.outcomes)


def compare(
    original: Target,
    candidate: Target,
    inputs: Sequence[InputItem],
    *,
    float_rel_tol: float = 1e-9,
    float_abs_tol: float = 0.0,
    max_items: int = 100_000,
    backend: BackendName = "auto",
    limits: Limits | None = None,
) -> DiffReport:
    """Run both targets on every input and report how the candidate differs."""
    _check_args(original, candidate, inputs, float_rel_tol, float_abs_tol, max_items)
    encoded = encode_inputs(inputs, script=original.is_script)
    specs, files = pair_job(original, candidate)
    job = {"mode": "diff", "targets": specs,
           "inputs": [base64.b64encode(e).decode("ascii") for e in encoded],
           "float_rel_tol": float_rel_tol, "float_abs_tol": float_abs_tol, "max_items": max_items}
    reply = run_worker(job, files, backend=backend, limits=limits or Limits())
    if reply.answer is None:
        status = reply.failure_status
        return _failed(status, None, reply.failure_message())
    if reply.answer.get("status") != "ok":
        side = {"a": "original", "b": "candidate"}.get(reply.answer.get("side"))
        return _failed("error", side, reply.answer.get("message", ""))
    outcomes = tuple(_outcome(o) for o in reply.answer["outcomes"])
    return DiffReport(status="ok", outcomes=outcomes, feedback=feedback_text(outcomes))


def self_check(
    original: Target,
    inputs: Sequence[InputItem],
    *,
    float_rel_tol: float = 1e-9,
    float_abs_tol: float = 0.0,
    max_items: int = 100_000,
    backend: BackendName = "auto",
    limits: Limits | None = None,
) -> DiffReport:
    """Compare ``original`` with a second copy of itself: a mismatch means non-determinism.

    Callers drop (or stop trusting) the inputs whose outcome is not equal before using the
    original's behaviour as an oracle. Both copies run in one process, so behaviour that
    changes only between processes (string hash order, ``id()`` values) is not caught.
    """
    return compare(
        original, replace(original), inputs, float_rel_tol=float_rel_tol, float_abs_tol=float_abs_tol,
        max_items=max_items, backend=backend, limits=limits,
    )


def feedback_text(outcomes: Sequence[InputOutcome], *, max_chars: int = _FEEDBACK_CHARS) -> str:
    """A short account of the first mismatches, for a proposer to act on."""
    failed = [o for o in outcomes if not o.equal]
    if not failed:
        return f"all {len(outcomes)} inputs behave like the original"
    lines = [f"{len(failed)} of {len(outcomes)} inputs differ from the original:"]
    for outcome in failed:
        for m in outcome.mismatches:
            reason = f" ({m.reason})" if m.reason else ""
            lines.append(f"- input {outcome.index}, {m.check} at {m.path}: expected {m.expected}, got {m.got}{reason}")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 4] + " ..."


def _outcome(raw: dict) -> InputOutcome:
    mismatches = tuple(
        Mismatch(check=f["check"], path=f["path"], expected=f["expected"], got=f["got"], reason=f.get("reason", ""))
        for f in raw["failures"]
    )
    return InputOutcome(index=raw["index"], mismatches=mismatches)


def _failed(status: DiffStatus, side: str | None, message: str) -> DiffReport:
    who = side or "the run"
    logger.info("differential check %s (%s): %s", status, who, message)
    return DiffReport(status=status, outcomes=(), feedback=f"{who} failed: {message}", failed_side=side, message=message)


def _check_args(original, candidate, inputs, rel_tol, abs_tol, max_items) -> None:
    for name, target in (("original", original), ("candidate", candidate)):
        if not isinstance(target, Target):
            raise TypeError(f"{name} must be a Target (source + qualname), got {type(target).__name__}")
    if original.is_script != candidate.is_script:
        raise ValueError("original and candidate must both be functions or both be scripts (qualname=None)")
    if not inputs:
        raise ValueError("inputs is empty: a differential check needs at least one input")
    if rel_tol < 0 or abs_tol < 0:
        raise ValueError(f"float tolerances must be >= 0, got rel {rel_tol!r} and abs {abs_tol!r}")
    if max_items < 1:
        raise ValueError(f"max_items={max_items!r} must be >= 1 (items kept from a returned iterator)")
