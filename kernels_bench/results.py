"""One result type for one candidate on one problem, and its JSON form.

A candidate's failure is data: ``failure`` names the stage that failed, ``reason`` says why
in one line and ``feedback`` is the longer text a proposer reads. Speedups are derived from
the raw timings, never stored rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from polca.kernels_bench.rules import DEFAULT_RULES, get_rules
from polca.kernels_bench.timing import TimingStats

FailureStage = Literal["", "guard", "compile", "runtime", "mismatch", "timeout", "crash"]
Baseline = Literal["eager", "compile"]
AUDIT_SPEEDUP = 10.0  # above this, a speedup is suspicious until someone confirms it
SHRUNK_NOTE = "timed on shrunk inputs (--shrink): a correctness check, not kernel figures"
_TIMINGS = ("reference_ms", "compiled_reference_ms", "candidate_ms")


@dataclass(frozen=True)
class KernelResult:
    """What evaluating one ``ModelNew`` source against one problem found."""

    problem_key: str
    compiled: bool
    correct: bool
    failure: FailureStage = ""
    reason: str = ""
    feedback: str = ""
    flags: tuple[str, ...] = ()  # guard warnings and audit notes, for people and proposers
    reference_ms: TimingStats | None = None  # PyTorch eager
    compiled_reference_ms: TimingStats | None = None  # torch.compile of the reference
    candidate_ms: TimingStats | None = None
    cache_hit: bool = False  # the kernel came from the compile cache
    compiles: int = 0  # builds the worker ran (0 on a cache hit)
    compile_s: float = 0.0
    wall_s: float = 0.0
    audit_confirmed: bool = False  # a person checked a speedup above AUDIT_SPEEDUP, or an unconfirmed kernel
    kernel_unconfirmed: str = ""  # why the profiler could not confirm a custom kernel ran (CUDA); empty when it did
    rules: str = DEFAULT_RULES  # the rule set that produced this result (polca.kernels_bench.rules)
    shrunk: bool = False  # run on a problem whose sizes --shrink scaled down: timings are not kernel figures

    def speedup(self, baseline: Baseline = "eager") -> float | None:
        """Baseline over candidate, as the rule set's statistic (median for strict, mean for
        kernelbench); None unless correct and both were timed."""
        reference = self.reference_ms if baseline == "eager" else self.compiled_reference_ms
        if not self.correct or reference is None or self.candidate_ms is None:
            return None
        statistic = "mean_ms" if get_rules(self.rules).statistic == "mean" else "median_ms"
        candidate = getattr(self.candidate_ms, statistic)
        return getattr(reference, statistic) / candidate if candidate > 0 else None

    @property
    def needs_audit(self) -> bool:
        """A speedup above :data:`AUDIT_SPEEDUP`, or a correct result whose custom kernel the
        profiler did not see run, that nobody has confirmed yet."""
        speedups = [s for s in (self.speedup("eager"), self.speedup("compile")) if s is not None]
        suspicious = any(s > AUDIT_SPEEDUP for s in speedups) or (self.correct and bool(self.kernel_unconfirmed))
        return not self.audit_confirmed and suspicious

    def confirm_audit(self) -> KernelResult:
        """The same result, with its large speedup or unseen kernel confirmed by a person."""
        return replace(self, audit_confirmed=True)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["flags"] = list(self.flags)
        for name in _TIMINGS:
            data[name] = data[name].to_dict() if data[name] is not None else None
        data["speedup_vs_eager"] = self.speedup("eager")
        data["speedup_vs_compile"] = self.speedup("compile")
        if self.shrunk:
            data["timing_note"] = SHRUNK_NOTE
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KernelResult:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for name in _TIMINGS:
            if values.get(name) is not None:
                values[name] = TimingStats.from_dict(values[name])
        values["flags"] = tuple(values.get("flags", ()))
        return cls(**values)
