"""Run the held-out program benchmark and write its report. From the repository root::

    .venv/bin/python -m benchmarks.programs.run                    # offline: executable skills
    .venv/bin/python -m benchmarks.programs.run --mode scripted    # a scripted model on 127.0.0.1
    .venv/bin/python -m benchmarks.programs.run --only dedupe_emails --budget-evals 2

Each target of :data:`benchmarks.programs.suite.SUITE` is copied into a fresh folder and
optimized with :func:`~polca.optimizer.domains.program.optimize_file`, wired as
``polca optimize`` wires it (the skills proposer; with ``--mode scripted`` also the
model proposer and summarizer over a scripted OpenAI-compatible server). An offered
change (the optimized file differs) is then judged on the target's held-out inputs,
which the search never saw: a difference from the original is a false positive. An
offered, correct change is re-timed against the original (held-out inputs for modules,
the search workload for scripts). Raw records go to ``results/<mode>.json``, the tables
to ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from benchmarks.programs.suite import SUITE, BenchTarget
from polca.config import SandboxConfig
from polca.events import EventBus
from polca.optimizer.contracts import Proposer
from polca.optimizer.domains.program import (
    ProgramOptions,
    ProgramReport,
    default_program_proposer,
    default_program_summarizer,
    optimize_file,
)
from polca.sandbox import Limits
from polca.sandbox.difftest import compare
from polca.sandbox.measure import measure
from polca.sandbox.target import ScriptInput, Target
from polca.store import Store

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
Mode = Literal["offline", "scripted"]
MIN_COUNTED_SPEEDUP = 1.10


@dataclass(frozen=True)
class Budget:
    """What each target gets: evaluations (one candidate timed on one minibatch each), wall
    seconds, final timing rounds."""

    evals: int = 4  # 16 inputs' worth at polca optimize's minibatch of 4
    time_limit_s: float = 45.0
    final_rounds: int = 10
    remeasure_rounds: int = 10
    timeout_s: float = 20.0


@dataclass(frozen=True)
class TargetOutcome:
    """One target's raw result. ``speedup`` is the re-measured one (None when nothing was offered)."""

    name: str
    domain: str
    kind: str
    status: str  # sped_up, offered_small, no_change, false_positive, error (bad input), crash (polca raised)
    offered: bool
    heldout_equal: bool | None
    heldout_feedback: str
    speedup: float | None
    ci_low: float | None
    ci_high: float | None
    claimed: dict[str, float | None]
    origins: list[str]
    evaluations: int
    wall_s: float
    message: str
    run_ids: list[str]

    @property
    def counted_speedup(self) -> float:
        """The speedup the geometric mean uses: 1.0 unless sped up with every check passing."""
        return self.speedup if self.status in ("sped_up", "offered_small") and self.speedup else 1.0


# ---------------------------------------------------------------- one target


def run_target(target: BenchTarget, *, proposer: Proposer, budget: Budget, store: Store | None = None,
               llm: Any = None, summarizer: Any = None, events: EventBus | None = None, workdir: Path,
               seed: int = 0) -> TargetOutcome:
    """Optimize one target in ``workdir``, judge what it offers on held-out inputs, re-time it."""
    path, stdin_files = _stage(target, workdir, seed)
    options = ProgramOptions(top=1, size=target.size, stdin=stdin_files, budget_evals=budget.evals,
                             time_limit=budget.time_limit_s, seed=seed, final_rounds=budget.final_rounds,
                             sandbox=SandboxConfig(timeout_s=budget.timeout_s))
    started = time.monotonic()
    try:
        report = optimize_file(path, options, proposer=proposer, llm=llm, store=store, events=events,
                               summarizer=summarizer)
    except ValueError as exc:
        return _outcome(target, "error", time.monotonic() - started, message=str(exc))
    except Exception as exc:  # a crash inside polca: recorded as this target's failure, the suite goes on
        log.exception("%s: polca crashed", target.name)
        return _outcome(target, "crash", time.monotonic() - started, message=f"{type(exc).__name__}: {exc}")
    wall_s = time.monotonic() - started
    if not report.improved:
        return _outcome(target, "no_change", wall_s, report=report, message=_messages(report))
    return _judged(target, report, wall_s, budget, stdin_files)


def _stage(target: BenchTarget, workdir: Path, seed: int) -> tuple[Path, tuple[Path, ...]]:
    """Copy the target (and its stdin workload) into its own folder: no tests, no neighbours."""
    folder = workdir / target.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / target.path.name
    shutil.copyfile(target.path, path)
    if target.workload is None:
        return path, ()
    stdin = folder / "workload.txt"
    stdin.write_text(target.workload(random.Random(seed)), encoding="utf-8")
    return path, (stdin,)


def _judged(target: BenchTarget, report: ProgramReport, wall_s: float, budget: Budget,
            stdin_files: tuple[Path, ...]) -> TargetOutcome:
    module = target.path.stem
    original = Target(report.original_source, target.function, module_name=module)
    optimized = Target(report.optimized_source, target.function, module_name=module)
    limits = Limits(timeout_s=budget.timeout_s * 3)
    verdict = compare(original, optimized, target.heldout_inputs(), limits=limits)
    if not verdict.equal:
        return _outcome(target, "false_positive", wall_s, report=report, heldout_equal=False,
                        heldout_feedback=verdict.feedback, message=_messages(report))
    timing_inputs = ([ScriptInput(stdin=p.read_text(encoding="utf-8")) for p in stdin_files]
                     or target.heldout_inputs())
    timing = measure(original, optimized, timing_inputs, rounds=budget.remeasure_rounds, min_sample_s=0.04,
                     warmup=2, limits=limits)
    speedup = timing.speedup if timing.status == "ok" else None
    status = "sped_up" if speedup is not None and timing.ci_low is not None and speedup >= MIN_COUNTED_SPEEDUP \
        and timing.ci_low > 1.0 else "offered_small"
    return _outcome(target, status, wall_s, report=report, heldout_equal=True, speedup=speedup,
                    ci=(timing.ci_low, timing.ci_high), message=timing.describe())


def _messages(report: ProgramReport) -> str:
    return "; ".join(f"{t.name}: {t.status} ({t.message})" for t in report.targets)


def _outcome(target: BenchTarget, status: str, wall_s: float, *, report: ProgramReport | None = None,
             heldout_equal: bool | None = None, heldout_feedback: str = "", speedup: float | None = None,
             ci: tuple[float | None, float | None] = (None, None), message: str = "") -> TargetOutcome:
    targets = report.targets if report else ()
    return TargetOutcome(
        name=target.name, domain=target.domain, kind="script" if target.function is None else "function",
        status=status, offered=bool(report and report.improved), heldout_equal=heldout_equal,
        heldout_feedback=heldout_feedback[:500], speedup=speedup, ci_low=ci[0], ci_high=ci[1],
        claimed={t.name: t.speedup for t in targets if t.status == "improved"},
        origins=sorted({o for t in targets if t.status == "improved" for o in t.origins}),
        evaluations=sum(t.evaluations for t in targets), wall_s=wall_s, message=message[:500],
        run_ids=[t.run_id for t in targets if t.run_id])


# ---------------------------------------------------------------- the suite


def summarize(outcomes: list[TargetOutcome]) -> dict[str, Any]:
    """The headline figures: share sped up, geometric mean (failures as 1.0), false positives."""
    n = len(outcomes)
    logs = [math.log(o.counted_speedup) for o in outcomes]
    return {
        "targets": n,
        "sped_up": sum(o.status == "sped_up" for o in outcomes),
        "share_sped_up": sum(o.status == "sped_up" for o in outcomes) / n if n else 0.0,
        "geomean_speedup": math.exp(sum(logs) / n) if n else 1.0,
        "false_positives": sum(o.status == "false_positive" for o in outcomes),
        "offered": sum(o.offered for o in outcomes),
        "errors": sum(o.status == "error" for o in outcomes),
        "crashes": sum(o.status == "crash" for o in outcomes),
        "wall_s_total": sum(o.wall_s for o in outcomes),
        "wall_s_median": sorted(o.wall_s for o in outcomes)[n // 2] if n else 0.0,
    }


def run_suite(mode: Mode, targets: list[BenchTarget], budget: Budget, *, db: str | None = None,
              seed: int = 0) -> tuple[list[TargetOutcome], dict[str, Any]]:
    """Run ``targets`` one after the other in ``mode``; returns the outcomes and the summary."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    outcomes = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="polca-programs-")))
        store = stack.enter_context(Store.open(db or f"sqlite:///{workdir / 'bench.db'}"))
        events = EventBus()
        proposer, llm, summarizer = _wiring(mode, stack, store, events)
        for target in targets:
            outcome = run_target(target, proposer=proposer, budget=budget, store=store, llm=llm,
                                 summarizer=summarizer, events=events, workdir=workdir, seed=seed)
            log.info("%-18s %-15s speedup=%s wall=%.1fs", target.name, outcome.status,
                     f"{outcome.speedup:.2f}" if outcome.speedup else "-", outcome.wall_s)
            outcomes.append(outcome)
    return outcomes, summarize(outcomes)


def _wiring(mode: Mode, stack: ExitStack, store: Store, events: EventBus) -> tuple[Proposer, Any, Any]:
    """The proposer (and model client, summarizer) as ``polca optimize`` builds them.

    Model calls are recorded in the store under the run being searched, as the CLI does.
    """
    if mode == "offline":
        return default_program_proposer(None), None, None
    from benchmarks.programs.scripted import scripted_responder
    from polca.cli.common import recording_llm
    from polca.config import Config, LLMConfig
    from polca.testing import ScriptedServer

    server = stack.enter_context(ScriptedServer(scripted_responder()))
    config = LLMConfig(model="openai/scripted", api_base=server.api_base, cache=False, timeout_s=30.0,
                       max_retries=1)
    llm = recording_llm(Config(llm=config), store, events)
    return default_program_proposer(llm), llm, default_program_summarizer(llm)


# ---------------------------------------------------------------- report


def results_markdown(mode: Mode, outcomes: list[TargetOutcome], summary: dict[str, Any], budget: Budget,
                     command: str) -> str:
    """The RESULTS.md section of one mode: headline figures, then one row per target."""
    lines = [
        f"### Mode: {mode}",
        "",
        f"Budget per target: {budget.evals} evaluations (one candidate timed on one minibatch each), {budget.time_limit_s:g} s search time limit, "
        f"{budget.final_rounds} final timing rounds; re-timing {budget.remeasure_rounds} rounds. Seed 0.",
        "",
        f"Reproduce: `{command}`",
        "",
        "| figure | value |", "| --- | --- |",
        f"| targets | {summary['targets']} |",
        f"| sped up >= {MIN_COUNTED_SPEEDUP:.2f}x, all checks passing | {summary['sped_up']} "
        f"({summary['share_sped_up']:.0%}) |",
        f"| geometric-mean speedup (failures as 1.0) | {summary['geomean_speedup']:.2f}x |",
        f"| false positives (offered, wrong on held-out inputs) | {summary['false_positives']} |",
        f"| changes offered | {summary['offered']} |",
        f"| targets polca refused (errors) / crashed on | {summary['errors']} / {summary['crashes']} |",
        f"| wall time: total / median per target | {summary['wall_s_total']:.0f} s / "
        f"{summary['wall_s_median']:.1f} s |",
        "",
        "| target | domain | kind | status | speedup (95% CI) | skills / origins | evals | wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        ci = f" ({o.ci_low:.2f}-{o.ci_high:.2f})" if o.ci_low is not None and o.ci_high is not None else ""
        speed = f"{o.speedup:.2f}x{ci}" if o.speedup else "-"
        lines.append(f"| {o.name} | {o.domain} | {o.kind} | {o.status} | {speed} | "
                     f"{', '.join(o.origins) or '-'} | {o.evaluations} | {o.wall_s:.1f} |")
    return "\n".join(lines) + "\n"


def write_results(mode: Mode, outcomes: list[TargetOutcome], summary: dict[str, Any], budget: Budget,
                  command: str, out_dir: Path = RESULTS_DIR) -> Path:
    """Write the raw JSON of one mode; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = {"mode": mode, "budget": asdict(budget), "command": command, "summary": summary,
           "targets": [asdict(o) for o in outcomes]}
    path = out_dir / f"{mode}.json"
    path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    (out_dir / f"{mode}.md").write_text(results_markdown(mode, outcomes, summary, budget, command),
                                        encoding="utf-8")
    return path


def _reproducible(argv: list[str]) -> list[str]:
    """The arguments without ``--db`` and ``--out`` (where results went, not what was run)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--db", "--out"):
            skip = True
        elif not arg.startswith(("--db=", "--out=")):
            kept.append(arg)
    return kept


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["offline", "scripted"], default="offline")
    parser.add_argument("--only", nargs="*", default=None, help="Run only these targets (names).")
    parser.add_argument("--budget-evals", type=int, default=Budget.evals)
    parser.add_argument("--time-limit", type=float, default=Budget.time_limit_s)
    parser.add_argument("--db", default=None, help="Keep the runs in this store (default: a temporary one).")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("polca").setLevel(logging.WARNING)
    unknown = sorted(set(args.only or ()) - {t.name for t in SUITE})
    if unknown:
        parser.error(f"unknown target(s) {unknown}; the names are the files in benchmarks/programs/targets/")
    targets = [t for t in SUITE if not args.only or t.name in args.only]
    budget = Budget(evals=args.budget_evals, time_limit_s=args.time_limit)
    command = "python -m benchmarks.programs.run " + " ".join(_reproducible(argv if argv is not None else sys.argv[1:]))
    outcomes, summary = run_suite(args.mode, targets, budget, db=args.db)
    path = write_results(args.mode, outcomes, summary, budget, command.strip(), args.out)
    log.info("summary %s; raw results in %s", json.dumps(summary), path)


if __name__ == "__main__":
    main()
