"""Pure renderings of a ``polca optimize`` result: the per-target table, the diff, JSON.

Functions over a :class:`~polca.optimizer.domains.program.ProgramReport`; they
print nothing. Times are shown per pass over a target's inputs, rounded for display only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from polca.optimizer.domains.program import (
    ProgramReport,
    TargetFinished,
    TargetReport,
    TargetStarted,
)

_STATUS_STYLE = {"improved": "bold green", "no_gain": "yellow", "excluded": "red"}


WIDE_TABLE_COLUMNS = 110
"""Narrower consoles get the targets as lines: the seven-column table would fold every cell."""


class _ByWidth:
    """Draws ``wide`` on a console of at least ``min_width`` columns, else ``narrow``."""

    def __init__(self, wide: RenderableType, narrow: RenderableType, min_width: int) -> None:
        self.wide, self.narrow, self.min_width = wide, narrow, min_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.wide if options.max_width >= self.min_width else self.narrow


def render_targets(report: ProgramReport) -> RenderableType:
    """One row per target: before, after, speedup with its 95% interval, inputs, ideas used.

    Below :data:`WIDE_TABLE_COLUMNS` the same figures come as two lines per target.
    """
    notes = [Text(f"{t.name}: {t.message}", style="dim") for t in report.targets if t.message]
    strength = [render_strength(t) for t in report.targets if t.verification]
    notes += [Text(line, style="dim") for t in report.targets for line in _trust_notes(t)]
    return Group(_ByWidth(_targets_table(report), _targets_lines(report), WIDE_TABLE_COLUMNS), *strength, *notes)


def _trust_notes(target: TargetReport) -> list[str]:
    """Lines on what the verdict rests on: inputs checked but not timed, candidates refused."""
    lines = []
    if target.inputs_untimed:
        lines.append(f"{target.name}: {target.inputs_untimed} input(s) on which the original raises: "
                     "checked (same exception), not timed")
    if target.timing_mode == "cold" and target.carried_state:
        lines.append(f"{target.name}: the change keeps state across calls ({', '.join(target.carried_state)}), "
                     "so its speedup is measured on a fresh module per call")
    lines += [f"{target.name}: not offered: {reason}" for reason in target.rejected]
    return lines


def _targets_lines(report: ProgramReport) -> RenderableType:
    lines: list[RenderableType] = [Text(f"polca optimize {report.path}", style="italic")]
    for target in report.targets:
        status = target.status.replace("_", " ")
        lines.append(Text.assemble(
            (target.name, "bold"), "  ", (status, _STATUS_STYLE.get(target.status, "")),
            f"  {_time(target.before_s)} -> {_time(target.after_s)}  speedup {_speedup(target)}"))
        ideas = ", ".join(target.origins) or "-"
        lines.append(Text(f"  inputs verified {_inputs(target)}; skills / ideas {ideas}"))
    return Group(*lines)


def _targets_table(report: ProgramReport) -> Table:
    table = Table(title=f"polca optimize {report.path}", title_justify="left")
    table.add_column("target", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for column in ("before", "after"):
        table.add_column(column, justify="right", no_wrap=True)
    for column in ("speedup (95% CI)", "inputs verified", "skills / ideas"):
        table.add_column(column, overflow="fold")
    for target in report.targets:
        table.add_row(
            target.name,
            Text(target.status.replace("_", " "), style=_STATUS_STYLE.get(target.status, "")),
            _time(target.before_s), _time(target.after_s), _speedup(target),
            _inputs(target), ", ".join(target.origins) or "-",
        )
    return table


def render_strength(target: TargetReport) -> Text:
    """How strong the oracle that checked ``target`` is, on one line:
    ``f: weakly verified (oracle runs 67% of lines, 50% of branches; caught 3/10 mutants)``."""
    detail = strength_detail(target.coverage_lines, target.coverage_branches, target.mutation_score,
                             target.inputs_aimed)
    if target.status != "improved":  # nothing was verified as a change: only the oracle is described
        return Text.assemble((target.name, "bold"), f": its oracle ({detail})")
    style = "green" if target.verification == "verified" else "yellow"
    return Text.assemble((target.name, "bold"), ": ", (target.verification, style), f" ({detail})")


def strength_detail(coverage_lines: float | None, coverage_branches: float | None,
                    mutation_score: Sequence[int] | None, inputs_aimed: int = 0) -> str:
    """``oracle runs 67% of lines, 50% of branches; caught 3/10 mutants; 2 aimed inputs``
    (the parts measured only)."""
    parts = []
    if coverage_lines is not None:
        branches = f", {coverage_branches:.0%} of branches" if coverage_branches is not None else ""
        parts.append(f"oracle runs {coverage_lines:.0%} of lines{branches}")
    if mutation_score is not None:
        parts.append(f"caught {mutation_score[0]}/{mutation_score[1]} mutants")
    if inputs_aimed:
        parts.append(f"{inputs_aimed} aimed input{'s' if inputs_aimed != 1 else ''}")
    return "; ".join(parts) or "not measured"


def render_target_event(event: TargetStarted | TargetFinished) -> RenderableType:
    """One line when a target's search starts or its verdict is in."""
    if isinstance(event, TargetStarted):
        sources = ", ".join(f"{n} {k}" for k, n in event.input_sources.items())
        dropped = f", {event.dropped_nondeterministic} non-deterministic dropped" if event.dropped_nondeterministic else ""
        return Text.from_markup(f"[bold]{event.name}[/]: searching on {event.num_inputs} inputs ({sources}{dropped})")
    target = event.report
    style = _STATUS_STYLE.get(target.status, "")
    figure = f" {_speedup(target)}" if target.speedup is not None else ""
    return Text.from_markup(f"[bold]{target.name}[/]: [{style}]{target.status.replace('_', ' ')}[/]{figure}")


def render_diff(report: ProgramReport) -> RenderableType:
    """The unified diff of the offered change, highlighted; a line saying so when there is none."""
    diff = report.diff()
    if not diff:
        return Text("No verified speedup of at least the threshold was found; the file is unchanged.")
    return Syntax(diff, "diff", theme="ansi_dark", background_color="default")


def render_outcome(report: ProgramReport, *, applied_to: str | None) -> RenderableType:
    """What happens next: where the change was written, or how to write it."""
    if not report.improved:
        return Text("")
    if applied_to:
        return Text.from_markup(f"[green]written[/] {applied_to}")
    return Text("Nothing was written. Re-run with --apply to update the file (a .orig backup is kept), "
                "or --out PATH to write the optimized file elsewhere.", style="dim")


def report_json(report: ProgramReport, *, applied_to: str | None = None) -> dict[str, Any]:
    """The machine-readable result (``--json``)."""
    return {**report.to_dict(), "applied_to": applied_to}


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.3g} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3g} µs"


def _speedup(target: TargetReport) -> str:
    if target.speedup is None:
        return "-"
    return f"{target.speedup:.2f}x ({target.ci_low:.2f}-{target.ci_high:.2f})"


def _inputs(target: TargetReport) -> str:
    if not target.inputs_verified:
        return "-"
    sources = ", ".join(f"{n} {k}" for k, n in target.input_sources.items())
    dropped = f"; {target.dropped_nondeterministic} non-deterministic dropped" if target.dropped_nondeterministic else ""
    return f"{target.inputs_verified} ({sources}{dropped})"
