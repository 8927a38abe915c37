"""What ``polca optimize`` tells about a file: per-target reports, the file's report, events.

Plain frozen data; the CLI renders it (``polca.cli.render_optimize``) and ``--json``
prints :meth:`ProgramReport.to_dict`.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from polca.events import Event

TargetStatus = Literal["improved", "no_gain", "excluded"]
NOTHING_TO_TRY = "nothing to try offline"
"""How the message of a ``no_gain`` target that was not searched, since no proposer had anything for it, begins."""


@dataclass(frozen=True)
class TargetReport:
    """What happened to one target; times are seconds per pass over all its inputs.

    ``excluded``: it could not be checked (``message`` says why); ``no_gain``: searched (or
    not, when the file's budget was spent before it) without a verified speedup;
    ``improved``: the final check passed and the speedup counts.

    ``inputs_verified`` counts the search's inputs; ``inputs_heldout`` the held-out ones the
    final verdict also checks (``heldout_dropped``: held-out inputs dropped because the
    original timed out or crashed on them), and ``heldout_passed`` says whether the best
    candidate behaved like the original on them (None: not checked). ``inputs_untimed``:
    inputs the original raises on, checked but not timed.

    How strong the oracle that checked an improvement is (:mod:`.strength`; measured for
    improved targets only): ``coverage_lines`` / ``coverage_branches`` are the fractions of
    the target function's lines and branch exits its inputs run, ``mutation_score`` is
    (killed, total) of small injected bugs the inputs caught, and ``verification`` the label
    ("verified", "weakly verified"; "" when not measured). ``inputs_aimed``: inputs made to
    run lines the oracle's inputs missed; the improvement was checked on them too.
    """

    name: str
    status: TargetStatus
    message: str
    inputs_verified: int = 0
    input_sources: dict[str, int] = field(default_factory=dict)
    dropped_nondeterministic: int = 0
    before_s: float | None = None
    after_s: float | None = None
    speedup: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    verdict: str = ""  # the final timing's verdict ("faster", "slower", "no difference"); "" when not timed
    origins: tuple[str, ...] = ()
    run_id: str | None = None
    evaluations: int = 0
    cost_usd: float = 0.0
    inputs_heldout: int = 0
    heldout_dropped: int = 0
    heldout_passed: bool | None = None
    heldout_feedback: str = ""
    inputs_untimed: int = 0
    coverage_lines: float | None = None
    coverage_branches: float | None = None
    mutation_score: tuple[int, int] | None = None
    verification: str = ""
    inputs_aimed: int = 0
    # Measurement integrity and fallback: ``rejected`` says, for each candidate
    # the final check tried before the offered one (or all, when none was offered), why it
    # was not offered; ``timing_mode`` is "cold" when the candidate adds state that carries
    # across calls (``carried_state`` names it), so ``speedup`` was measured on a fresh module
    # per call and ``speedup_warm`` is the usual, repeated-input measurement; else "warm".
    rejected: tuple[str, ...] = ()
    timing_mode: str = "warm"
    speedup_warm: float | None = None
    carried_state: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgramReport:
    """The outcome for a file: per-target reports and the file's text before and after."""

    path: str
    original_source: str
    optimized_source: str
    targets: tuple[TargetReport, ...]
    notes: tuple[str, ...] = ()
    wall_s: float = 0.0

    @property
    def original_sha256(self) -> str:
        return hashlib.sha256(self.original_source.encode()).hexdigest()

    @property
    def improved(self) -> bool:
        return self.optimized_source != self.original_source

    @property
    def cost_usd(self) -> float:
        """Model spend of every target's search together."""
        return sum(t.cost_usd for t in self.targets)

    def diff(self) -> str:
        """A unified diff from the original file to the optimized one ("" when unchanged)."""
        name = Path(self.path).name
        return "".join(difflib.unified_diff(self.original_source.splitlines(keepends=True),
                                            self.optimized_source.splitlines(keepends=True),
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``polca optimize --json``)."""
        return {"path": self.path, "improved": self.improved, "original_sha256": self.original_sha256,
                "targets": [asdict(t) for t in self.targets], "counts": self.counts(), "notes": list(self.notes),
                "wall_s": self.wall_s, "diff": self.diff()}

    def counts(self) -> dict[str, int]:
        """Targets per outcome: each status, and among the ``no_gain`` ones those with
        nothing to try offline and those whose best candidate failed held-out verification."""
        counts = {status: sum(t.status == status for t in self.targets) for status in ("improved", "no_gain",
                                                                                      "excluded")}
        counts["nothing_to_try"] = sum(t.status == "no_gain" and t.message.startswith(NOTHING_TO_TRY)
                                       for t in self.targets)
        counts["failed_heldout"] = sum(t.heldout_passed is False for t in self.targets)
        return counts


@dataclass(frozen=True)
class TargetStarted(Event):
    """A target's search begins, on ``num_inputs`` inputs the original answers deterministically."""

    name: str
    num_inputs: int
    input_sources: dict[str, int]
    dropped_nondeterministic: int


@dataclass(frozen=True)
class TargetFinished(Event):
    """A target's verdict is in."""

    report: TargetReport
