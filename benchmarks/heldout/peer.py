"""The peer on the held-out suite: ruff's performance fixes, judged and timed like polca's changes.

Users who want faster Python without a model reach for a linter's autofixes first, so the
offline figures sit beside ``ruff check --select PERF,FURB,C4,SIM --fix --unsafe-fixes``
run on the same file. Both the file ruff writes and the file polca offers are

- judged on the target's held-out inputs (``judge.py``): a difference is a wrong change;
- timed against the original with polca's sandbox measurement (``polca.sandbox.measure``)
  on the held-out inputs on which the original does not raise, in one run, baseline and
  candidate interleaved, so the two speedups are measured the same way.

A file ruff leaves unchanged counts 1.0, as does a wrong or untimed one.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.heldout.judge import Judged, encoded_heldout, judge
from polca.sandbox.difftest import compare
from polca.sandbox.measure import measure
from polca.sandbox.target import Target
from polca.sandbox.types import Limits

RUFF_SELECT = "PERF,FURB,C4,SIM"
RUFF_TIMEOUT_S = 60.0
MEASURE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Timed:
    """One changed file on one target: held-out verdict and the speedup measured here."""

    changed: bool
    judge: str | None  # equal, wrong, unjudged; None when unchanged
    speedup: float | None  # median, candidate over original; None when not timed
    ci_low: float | None
    ci_high: float | None
    note: str

    @property
    def counted(self) -> float:
        """The figure the geometric mean uses: the speedup when right and timed, else 1.0."""
        return self.speedup if self.changed and self.judge == "equal" and self.speedup else 1.0


def ruff_executable() -> str | None:
    """ruff of this environment (the ``ruff`` package knows where its binary is), else on PATH."""
    try:
        from ruff.__main__ import find_ruff_bin
        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


def ruff_command(path: Path) -> list[str]:
    """The command a user would run: ruff's performance-minded rules with every fix applied."""
    return [ruff_executable() or "ruff", "check", "--isolated", "--select", RUFF_SELECT, "--fix", "--unsafe-fixes", "--exit-zero",
            "--quiet", str(path)]


def ruff_fixed(source: str, name: str) -> str:
    """``source`` after ruff's fixes (unchanged when ruff changes nothing or fails)."""
    with tempfile.TemporaryDirectory(prefix="polca-peer-ruff-") as tmp:
        path = Path(tmp) / name
        path.write_text(source, encoding="utf-8")
        try:
            subprocess.run(ruff_command(path), capture_output=True, timeout=RUFF_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return source
        return path.read_text(encoding="utf-8")


def timed_change(item: Judged, original: str, changed: str | None) -> Timed:
    """Judge ``changed`` on ``item``'s held-out inputs and, when right, time it against ``original``."""
    if changed is None or changed == original:
        return Timed(False, None, None, None, None, "no change")
    verdict = judge(item, original, changed)
    if verdict.status != "equal":
        return Timed(True, verdict.status, None, None, None, verdict.feedback[:200])
    name = item.path.stem
    base, cand = Target(original, item.function, module_name=name), Target(changed, item.function, module_name=name)
    inputs = _timing_inputs(item, base)
    if not inputs:
        return Timed(True, "equal", None, None, None, "the original raises on every held-out input")
    result = measure(base, cand, inputs, timeout_s=MEASURE_TIMEOUT_S, limits=Limits(memory_mb=4096))
    if result.status != "ok":
        return Timed(True, "equal", None, None, None, f"not timed: {result.status} {result.message}"[:200])
    return Timed(True, "equal", result.speedup, result.ci_low, result.ci_high, "")


def _timing_inputs(item: Judged, original: Target) -> list[bytes]:
    """The held-out inputs on which the original returns (timing a raise measures nothing):
    found by comparing the original with a stand-in that returns None."""
    inputs = encoded_heldout(item)
    qualname = original.qualname
    if qualname is None or "." in qualname:
        return inputs
    stand_in = Target(f"{original.source}\n\n\ndef {qualname}(*args, **kwargs):\n    return None\n",
                      qualname, module_name=original.module_name)
    report = compare(original, stand_in, inputs, limits=Limits(timeout_s=MEASURE_TIMEOUT_S, memory_mb=4096))
    if report.status != "ok":
        return inputs
    raising = {o.index for o in report.outcomes if any(m.check == "exception" for m in o.mismatches)}
    return [payload for i, payload in enumerate(inputs) if i not in raising]


def peer_fields(item: Judged, original: str, polca_changed: str | None) -> dict[str, Any]:
    """What a record keeps of the peer comparison: ruff's change and polca's, timed alike."""
    ruff = timed_change(item, original, ruff_fixed(original, item.path.name))
    ours = timed_change(item, original, polca_changed)
    return {"ruff": asdict(ruff) | {"counted": ruff.counted}, "polca": asdict(ours) | {"counted": ours.counted}}
