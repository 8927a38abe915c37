"""How much of a function its inputs run: line and branch coverage, measured in the sandbox.

    result = measure_coverage(Target(source, "f"), inputs, first_line=3, last_line=9)
    result.line_fraction, result.branch_fraction, result.missing_lines

The original runs once over every input inside the worker under coverage.py
(``mode: "coverage"`` in :mod:`polca.sandbox.worker`), in a run of its own: nothing of it
touches a timing. Only the lines ``first_line..last_line`` count (the target function,
not the whole module), so a large module with one hot function is judged on that function.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from polca.sandbox.target import InputItem, Target, encode_inputs, run_worker, target_job
from polca.sandbox.types import BackendName, Limits

CoverageStatus = Literal["ok", "error", "timeout", "sandbox_error"]


@dataclass(frozen=True)
class CoverageResult:
    """Covered and total statements and branch exits within the span; ``status != "ok"``:
    it could not be measured (``message`` says why) and every count is 0. ``wall_s``: how
    long the measured run took (a bound for later runs of the same inputs); ``input_lines``:
    the span's lines each input ran, in input order."""

    status: CoverageStatus
    lines_covered: int = 0
    lines_total: int = 0
    branches_covered: int = 0
    branches_total: int = 0
    missing_lines: tuple[int, ...] = ()
    message: str = ""
    wall_s: float = 0.0
    input_lines: tuple[frozenset[int], ...] = ()

    @property
    def line_fraction(self) -> float | None:
        """Covered share of the span's statements (None: not measured or no statements)."""
        return self.lines_covered / self.lines_total if self.status == "ok" and self.lines_total else None

    @property
    def branch_fraction(self) -> float | None:
        """Taken share of the span's branch exits; 1.0 for code without branches."""
        if self.status != "ok":
            return None
        return self.branches_covered / self.branches_total if self.branches_total else 1.0


def measure_coverage(target: Target, inputs: Sequence[InputItem], *, first_line: int, last_line: int,
                     backend: BackendName = "auto", limits: Limits | None = None) -> CoverageResult:
    """Coverage of lines ``first_line..last_line`` of ``target``'s module by one call per input."""
    if target.is_script:
        raise ValueError("measure_coverage measures a function target; pass a Target with a qualname")
    if not 1 <= first_line <= last_line:
        raise ValueError(f"first_line={first_line!r}, last_line={last_line!r}: need 1 <= first_line <= last_line")
    if not inputs:
        raise ValueError("inputs is empty: coverage needs at least one input to run")
    spec, files = target_job(target, "a")
    job = {"mode": "coverage", "targets": {"a": spec}, "first_line": first_line, "last_line": last_line,
           "inputs": [base64.b64encode(e).decode("ascii") for e in encode_inputs(inputs, script=False)]}
    reply = run_worker(job, files, backend=backend, limits=limits or Limits())
    if reply.answer is None:
        return CoverageResult(reply.failure_status, message=reply.failure_message(), wall_s=reply.run.wall_s)
    answer = reply.answer
    if answer.get("status") != "ok":
        return CoverageResult("error", message=str(answer.get("message", "")), wall_s=reply.run.wall_s)
    return CoverageResult("ok", answer["lines_covered"], answer["lines_total"], answer["branches_covered"],
                          answer["branches_total"], tuple(answer["missing_lines"]), wall_s=reply.run.wall_s,
                          input_lines=tuple(frozenset(lines) for lines in answer["input_lines"]))
