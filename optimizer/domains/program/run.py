"""``optimize_file``: speed up a Python file end to end, without the CLI.

    from polca.optimizer.domains.program import ProgramOptions, SkillsProposer, optimize_file
    report = optimize_file("examples/dedup_ids.py", ProgramOptions(top=1), proposer=SkillsProposer())
    report.targets[0].speedup, report.diff()

Steps, per file: plan it (:func:`~.plan.plan_file`: targets, inputs, oracle; everything
that can refuse the file); then per target, hottest first: run POLCA over a
:class:`~.domain.ProgramDomain`, then re-check the best candidate on every input, check
it on held-out inputs the search never saw (:mod:`.heldout`; a failure there is never
offered), and re-time it against the original with more rounds, on the inputs where the
original does not raise (those stay checked: the candidate must raise the same). When
the best candidate fails any of that, the next ones by search score are tried in turn
(:data:`FINALISTS` in all) and why each was refused is kept (``TargetReport.rejected``).
A candidate that adds state carried across calls (a cache, a ``global``: :mod:`.state`)
is timed on a fresh module per call, and that cold speedup is the one reported. A
target is *improved* only when every check passes and the verdict is "faster"
(speedup >= ``min_speedup`` with a 95% interval wholly above 1). Improvements
accumulate: each later target starts from the file as improved so far. Nothing is
written to disk here. Offline, a target for which no proposer has any child, even for
the original, is not searched: its report says so at once ("nothing to try offline"),
with what the diagnosis saw and the skills ``--model`` would try.

Budgets: ``budget_evals`` is per target; ``budget_cost`` and ``time_limit`` are the
file's, and each target's search gets what the targets before it left. Each target's
engine config is built once (:func:`search_config`); a new run is created with exactly
that config, and a resumed run gets it in its state (``polca.runs.config_of``), so the
store holds the config that ran.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polca.optimizer.api import optimize
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Candidate, Proposer
from polca.optimizer.domains.program.domain import ProgramDomain
from polca.optimizer.domains.program.heldout import raising_inputs
from polca.optimizer.domains.program.isolation import SELF_CHECK, backend_of, limits_of
from polca.optimizer.domains.program.options import ProgramOptions, engine_knobs
from polca.optimizer.domains.program.oracle import sibling_files
from polca.optimizer.domains.program.plan import FilePlan, TargetPlan, observed_types, plan_file
from polca.optimizer.domains.program.proposers import (
    TargetFacts,
    hand_facts,
    hot_line_numbers,
    offline_verdict,
)
from polca.optimizer.domains.program.reports import (
    NOTHING_TO_TRY,
    ProgramReport,
    TargetFinished,
    TargetReport,
    TargetStarted,
)
from polca.optimizer.domains.program.state import new_carried_state
from polca.optimizer.domains.program.strength import gate_message, oracle_strength
from polca.optimizer.domains.program.targets import find_functions, hot_lines, parse_source
from polca.optimizer.result import OptimizationResult
from polca.optimizer.summarizer import Summarizer
from polca.runs import (
    SCRIPT_TARGET,
    ProblemSpec,
    parse_program_run_name,
    program_run_name,
    state_with_outcome,
    state_with_search_config,
)
from polca.sandbox.codec import UnsafeValue
from polca.sandbox.difftest import compare
from polca.sandbox.measure import MeasureResult, measure
from polca.sandbox.target import InputItem, Target, encode_inputs, safe_input
from polca.skills.diagnosis import diagnose

if TYPE_CHECKING:
    from polca.events import EventBus
    from polca.llm import LLMClient
    from polca.store import Store

log = logging.getLogger(__name__)

MAX_CHECK_BYTES = 4_000_000  # the most pickled input bytes kept with a problem for re-verification
FINALISTS = 4  # the most candidates (the engine's best first) put through the final check


@dataclass(frozen=True)
class Spent:
    """What a stored run had spent before this search (the engine's budget counters)."""

    evaluations: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0


@dataclass
class _Session:
    """What every target's search shares, and the file's budgets as they are being spent."""

    plan: FilePlan
    proposer: Proposer
    llm: LLMClient | None
    store: Store | None
    events: EventBus | None
    summarizer: Summarizer | None = None
    resume_run: str | None = None
    cost_at_start: float = 0.0

    @property
    def options(self) -> ProgramOptions:
        return self.plan.options

    def cost_spent(self) -> float:
        """Model spend since the file's search began (every target together)."""
        return (self.llm.usage.cost_usd if self.llm is not None else 0.0) - self.cost_at_start

    def cost_left(self) -> float | None:
        budget = self.options.budget_cost
        return None if budget is None else budget - self.cost_spent()

    def wall_left(self) -> float | None:
        """Seconds left of ``time_limit``; at least one, so a late target still gets a look."""
        if self.options.time_limit is None:
            return None
        return max(1.0, self.plan.started + self.options.time_limit - time.monotonic())


def optimize_file(path: str | Path, options: ProgramOptions | None = None, *, proposer: Proposer,
                  llm: LLMClient | None = None, store: Store | None = None, events: EventBus | None = None,
                  summarizer: Summarizer | None = None, resume_run: str | None = None) -> ProgramReport:
    """Find, search and verify faster versions of the targets of ``path``; writes nothing.

    Raises ValueError for bad input (missing file, not Python, syntax error, unknown
    function, a workload that fails or never runs a named function, an import that fails)
    and NoOracleError when no target has inputs the original answers deterministically.
    ``resume_run`` continues the stored run of one target. ``summarizer`` defaults to the
    engine's LLM summarizer over ``llm``.
    """
    plan = plan_for(path, options or ProgramOptions(), store=store, resume_run=resume_run)
    return optimize_plan(plan, proposer=proposer, llm=llm, store=store, events=events, summarizer=summarizer,
                         resume_run=resume_run)


def plan_for(path: str | Path, options: ProgramOptions, *, store: Store | None = None,
             resume_run: str | None = None) -> FilePlan:
    """The plan of ``path``, or of the one target the stored run ``resume_run`` searched."""
    if resume_run is None:
        return plan_file(path, options)
    target = _resumed_target(store, resume_run, Path(path))
    function = () if target == SCRIPT_TARGET else (target,)
    return plan_file(path, replace(options, function=function), only=target)


def optimize_plan(plan: FilePlan, *, proposer: Proposer, llm: LLMClient | None = None, store: Store | None = None,
                  events: EventBus | None = None, summarizer: Summarizer | None = None,
                  resume_run: str | None = None) -> ProgramReport:
    """Search and verify every target of ``plan`` (see :func:`optimize_file`)."""
    cost_at_start = llm.usage.cost_usd if llm is not None else 0.0
    session = _Session(plan, proposer, llm, store, events, summarizer, resume_run, cost_at_start)
    reports, source = list(plan.excluded), plan.program.source
    for target in plan.targets:
        report, source = _optimize_target(session, source, target)
        reports.append(report)
        if events is not None:
            events.emit(TargetFinished(report))
    notes = [*plan.notes, *getattr(proposer, "notes", []), *getattr(summarizer, "notes", [])]
    return ProgramReport(str(plan.program.path), plan.program.source, source, tuple(reports), tuple(notes),
                         time.monotonic() - plan.started)


def _resumed_target(store: Store | None, run_id: str, path: Path) -> str:
    if store is None:
        raise ValueError("resuming needs the store that holds the run; pass store=Store.open(url)")
    name = store.get_run(run_id).name
    named = parse_program_run_name(name)
    if named is None:
        raise ValueError(f"run {run_id!r} is not a `polca optimize` run (its name is {name!r})")
    target, stored_path = named
    if Path(stored_path).resolve() != path.resolve():
        raise ValueError(f"run {run_id!r} optimized {stored_path}, not {path}; pass that file")
    return target


# ---------------------------------------------------------------- one target


def _optimize_target(session: _Session, source: str, target: TargetPlan) -> tuple[TargetReport, str]:
    check = target.check
    base = TargetReport(target.name, "no_gain", "", len(check.inputs), target.inputs.sources, check.dropped,
                        inputs_heldout=len(target.heldout_check.inputs), heldout_dropped=target.heldout_check.dropped)
    cost_left = session.cost_left()
    if cost_left is not None and cost_left <= 0:
        return replace(base, message=f"not searched: the --budget-cost of ${session.options.budget_cost:g} for "
                                     "the whole file was spent by the targets before it"), source
    domain = _domain(session, source, target)
    if session.events is not None:
        session.events.emit(TargetStarted(target.name, len(check.inputs), dict(target.inputs.sources),
                                          check.dropped))
    if (stopped := _nothing_to_try(session, domain, base)) is not None:
        return _judge_strength(domain, stopped, source, session.options)  # how strong a model's checks would be
    config, run_id = _start_run(session, target, len(check.inputs), cost_left)
    try:
        result = optimize(domain, session.proposer, config=config, llm=session.llm, store=session.store,
                          run_id=run_id, resume=session.resume_run is not None, events=session.events,
                          summarizer=session.summarizer)
    except BaseException:
        _record(session.store, run_id, config)
        raise
    base = replace(base, run_id=result.run_id, evaluations=result.evaluations, cost_usd=result.cost_usd)
    base = replace(base, inputs_untimed=len(domain.untimed))
    finalists = _finalists(result, domain)
    report, source = _final_check(domain, finalists, base, session.options, target.heldout_check.inputs)
    report, source = _judge_strength(domain, report, source, session.options)
    _record(session.store, run_id, config, report, domain)
    return report, source


def _nothing_to_try(session: _Session, domain: ProgramDomain, base: TargetReport) -> TargetReport | None:
    """Hand the proposer what the run knows of the target (observed types, hot lines);
    then, offline, when it has no child even for the original, the target's report at
    once: searching would only re-time the original. None when the search should run."""
    facts = TargetFacts(observed_types(session.plan.program, session.plan.targets),
                        hot_line_numbers(domain.hot_lines))
    hand_facts(session.proposer, facts)
    if session.llm is not None or session.resume_run is not None:
        return None
    verdict = offline_verdict(session.proposer, domain.source, lambda code: _changes_target(domain, code))
    if not verdict.nothing:
        return None
    return replace(base, message=nothing_to_try_message(domain.source, domain.qualname, verdict.model_would_try))


def _changes_target(domain: ProgramDomain, code: str) -> bool:
    """Whether ``code`` changes what the domain evaluates (a rewrite of another function is dropped)."""
    try:
        return domain.resolve(code) != domain.source
    except (ValueError, SyntaxError):
        return False


def nothing_to_try_message(source: str, qualname: str | None, model_would_try: Sequence[str]) -> str:
    """Why a target was not searched offline: what the diagnosis saw in it (anti-patterns
    with their lines) and the skills a model would be given (retrieval by triggers)."""
    span = _lines_of(source, qualname)
    findings = [f for f in diagnose(source).findings if span[0] <= f.line <= span[1]]
    saw = ("the diagnosis saw " + "; ".join(f"line {f.line}: {f.kind} ({f.detail})" for f in findings[:5])
           if findings else "the diagnosis saw no known anti-pattern")
    skills = list(model_would_try)
    would = (f"`--model` would try: {', '.join(skills[:6])}" if skills
             else "`--model` would try a rewrite guided by the summary (no skill's trigger matches)")
    return f"{NOTHING_TO_TRY}: no executable skill changes it; {saw}; {would}"


def _lines_of(source: str, qualname: str | None) -> tuple[int, int]:
    """The first and last line of ``qualname`` in ``source`` (the whole file for a script)."""
    if qualname is not None:
        for info in find_functions(parse_source(source)):
            if info.qualname == qualname:
                return info.first_line, info.last_line
    return 1, len(source.splitlines())


def _domain(session: _Session, source: str, target: TargetPlan) -> ProgramDomain:
    program, options = session.plan.program, session.options
    files = sibling_files(program)
    original = Target(source=source, qualname=target.qualname, module_name=program.module_name,
                      files={k: v for k, v in files.items() if k != f"{program.module_name}.py"})
    untimed = raising_inputs(original, target.check.inputs, options.sandbox)
    return ProgramDomain(source, target.qualname, target.check.inputs, module_name=program.module_name,
                         files=files, settings=options.evaluation, sandbox=options.sandbox,
                         hot_lines=_hot_note(source, target, session), untimed=untimed)


def _start_run(session: _Session, target: TargetPlan, num_inputs: int,
               cost_left: float | None) -> tuple[OptimizerConfig, str | None]:
    """The target's engine config, built once, and the run it is stored in: a new run created
    with exactly this config, or the resumed one (which gets it in its state when it ends)."""
    store, resumed = session.store, session.resume_run
    spent = _spent(store, resumed) if resumed is not None else Spent()
    config = search_config(session.options, num_inputs, spent=spent,
                           cost_left=cost_left, wall_left=session.wall_left())
    if store is None or resumed is not None:
        return config, resumed
    name = program_run_name(target.qualname, session.plan.program.path)
    return config, store.create_run("program", config.to_dict(), name=name)


def _spent(store: Store | None, run_id: str) -> Spent:
    budget = store.get_run(run_id).state.get("budget") if store is not None else None
    if not isinstance(budget, dict):
        return Spent()
    return Spent(int(budget.get("evaluations", 0)), float(budget.get("cost_usd", 0.0)),
                 float(budget.get("wall_s", 0.0)))


def search_config(options: ProgramOptions, num_inputs: int, *, spent: Spent | None = None,
                  cost_left: float | None = None, wall_left: float | None = None) -> OptimizerConfig:
    """The engine config of one target's search: the ``search`` knobs, ``budget_evals`` more
    evaluations than the run had ``spent``, and what is left of the file's cost and time
    (on top of what a resumed run had spent, since the engine's counters include it)."""
    spent = spent or Spent()
    knobs = engine_knobs(options.search)
    knobs["batch_size"] = min(knobs["batch_size"], num_inputs)
    return OptimizerConfig(
        **knobs, seed=options.seed, max_evaluations=spent.evaluations + options.budget_evals,
        max_cost_usd=None if cost_left is None else spent.cost_usd + cost_left,
        max_wall_s=None if wall_left is None else spent.wall_s + wall_left)


def final_check_state(report: TargetReport) -> dict[str, Any]:
    """The final verdict of a target as kept in its run's state (``polca.runs.FINAL_CHECK_KEY``)."""
    return {"status": report.status, "verdict": report.verdict, "speedup": report.speedup,
            "ci_low": report.ci_low, "ci_high": report.ci_high, "inputs_verified": report.inputs_verified,
            "before_s": report.before_s, "after_s": report.after_s, "message": report.message,
            "inputs_untimed": report.inputs_untimed,
            "rejected": list(report.rejected), "timing_mode": report.timing_mode,
            "speedup_warm": report.speedup_warm, "carried_state": list(report.carried_state),
            "heldout": {"inputs": report.inputs_heldout, "dropped": report.heldout_dropped,
                        "passed": report.heldout_passed, "feedback": report.heldout_feedback},
            "oracle_strength": _strength_state(report)}


# ---------------------------------------------------------------- oracle strength


def _judge_strength(domain: ProgramDomain, report: TargetReport, source: str,
                    options: ProgramOptions) -> tuple[TargetReport, str]:
    """Every searched target gets its oracle's strength (:mod:`.strength`), so a user sees
    how much "no gain" or "improved" rests on. An improvement is withdrawn when the candidate
    differs from the original on the inputs aimed at lines the oracle missed, or when the
    strength is below ``min_coverage`` / ``min_mutation_score``; inputs are aimed only where
    a change is offered (nothing else needs them)."""
    improved = report.status == "improved"
    strength = oracle_strength(domain.original, domain.inputs, options.sandbox,
                               max_mutants=options.max_mutants, seed=options.seed, aim=improved)
    report = replace(report, coverage_lines=strength.line_coverage, coverage_branches=strength.branch_coverage,
                     mutation_score=(strength.killed, strength.total) if strength.total else None,
                     verification=strength.label, inputs_aimed=len(strength.aimed))
    if not improved:
        return report, source
    if strength.aimed:
        aimed = _compare(domain, source, strength.aimed, options)
        if not aimed.equal:
            return replace(report, status="no_gain", message="not offered: failed on inputs aimed at lines the "
                                                             f"oracle missed: {aimed.feedback}"), domain.source
    refusal = gate_message(strength, options.min_coverage, options.min_mutation_score)
    if refusal:
        return replace(report, status="no_gain", message=f"{refusal} (it measured {report.message})"), domain.source
    return report, source


def _strength_state(report: TargetReport) -> dict[str, Any] | None:
    """The oracle's strength as the store keeps it (None: not measured)."""
    if not report.verification:
        return None
    score = list(report.mutation_score) if report.mutation_score is not None else None
    return {"verification": report.verification, "coverage_lines": report.coverage_lines,
            "coverage_branches": report.coverage_branches, "mutation_score": score,
            "inputs_aimed": report.inputs_aimed}


def problem_spec(domain: ProgramDomain, problem_id: str) -> ProblemSpec:
    """The target as ``polca train export`` reads it: the task, the original code, and the
    oracle's inputs (at most :data:`MAX_CHECK_BYTES`) so that training rewards can
    re-verify candidates instead of trusting stored scores. Inputs are kept as safe data
    (``inputs``, :mod:`polca.sandbox.codec`: loading them runs no code); only those that a
    pickle alone can carry (instances of the program's own classes) are kept pickled,
    base64, as ``pickled_inputs``, which the export passes on only when allowed."""
    script = domain.qualname is None
    safe, pickled, size = [], [], 0
    for item, payload in zip(domain.inputs, encode_inputs(list(domain.inputs), script=script), strict=True):
        try:
            entry = safe_input(item, script=script)
            cost = len(json.dumps(entry))
        except UnsafeValue:
            entry, cost = None, len(payload)
        if size + cost > MAX_CHECK_BYTES:
            log.info("problem %s keeps %d of %d inputs (%d bytes cap)", problem_id, len(safe) + len(pickled),
                     len(domain.inputs), MAX_CHECK_BYTES)
            break
        if entry is None:
            pickled.append(base64.b64encode(payload).decode("ascii"))
        else:
            safe.append(entry)
        size += cost
    check: dict[str, Any] = {"qualname": domain.qualname, "inputs": safe}
    if pickled:
        check["pickled_inputs"] = pickled
    return ProblemSpec(id=problem_id, task=domain.describe(), code=domain.source, check=check)


def _record(store: Store | None, run_id: str | None, config: OptimizerConfig, report: TargetReport | None = None,
            domain: ProgramDomain | None = None) -> None:
    """Keep in the run's state, beside the engine's own entries, the config the search ran
    with and, when it finished, the final verdict and the problem."""
    if store is None or run_id is None:
        return
    run = store.get_run(run_id)
    if run.iteration is None:
        log.debug("run %s has no checkpoint; nothing more is stored", run.id)
        return
    state = state_with_search_config(run.state, config.to_dict())
    if report is not None and domain is not None:
        target, path = parse_program_run_name(run.name) or (domain.name, "")
        state = state_with_outcome(state, problem_spec(domain, f"{target}:{path}"), final_check_state(report))
    store.write_iteration(run.id, iteration=run.iteration, state=state)


def _hot_note(source: str, target: TargetPlan, session: _Session) -> str:
    """Where the time goes: the script's hottest functions and the target's most executed lines."""
    notes = [f"Hottest functions under the script's workload:\n{target.hot_note}"] if target.hot_note else []
    if target.qualname is not None:
        payloads = encode_inputs(list(target.check.inputs[-5:]), script=False)
        lines = hot_lines(source, target.qualname, payloads, module_name=session.plan.program.module_name,
                          sandbox=session.options.sandbox)
        if lines:
            notes.append(f"Most executed lines while `{target.qualname}` runs on its inputs:\n{lines}")
    return "\n\n".join(notes)


def _finalists(result: OptimizationResult, domain: ProgramDomain) -> list[Candidate]:
    """The candidates the final check tries, in order: the engine's best, then the runners-up
    that beat the original in the search (score above 1), each distinct code once, never
    the original itself; at most :data:`FINALISTS`."""
    seen, finalists = {domain.source}, []
    ranked = [result.best, *(c for c, mean in result.runners_up if mean > 1.0)]
    for candidate in ranked:
        code = domain.resolve(candidate.params["code"])
        if code not in seen and len(finalists) < FINALISTS:
            seen.add(code)
            finalists.append(candidate)
    return finalists


def _final_check(domain: ProgramDomain, candidates: Sequence[Candidate], base: TargetReport, options: ProgramOptions,
                 heldout: tuple[InputItem, ...] = ()) -> tuple[TargetReport, str]:
    """The verdict: the candidates in order (the engine's best first), each through the full
    check (:func:`_check_one`); the first that passes is offered, and why each one before it
    was not is kept in ``rejected``. When none passes, the best one's report stands."""
    rejected: list[str] = []
    first: TargetReport | None = None
    for number, candidate in enumerate(candidates, start=1):
        report, source = _check_one(domain, candidate, base, options, heldout)
        if report.status == "improved":
            return replace(report, rejected=tuple(rejected)), source
        rejected.append(_rejection(number, candidate, report.message))
        first = first or report
    if first is None:
        return replace(base, message="no candidate beat the original"), domain.source
    return replace(first, rejected=tuple(rejected)), domain.source


def _rejection(number: int, candidate: Candidate, message: str, limit: int = 400) -> str:
    """One line: which candidate, where it came from, and the first line of why it was refused."""
    why = message.strip().splitlines()[0] if message.strip() else "refused"
    line = f"candidate {number} ({candidate.origin}): {why}"
    return line if len(line) <= limit else line[:limit - 3] + "..."


def _check_one(domain: ProgramDomain, best: Candidate, base: TargetReport, options: ProgramOptions,
               heldout: tuple[InputItem, ...] = ()) -> tuple[TargetReport, str]:
    """One candidate's verdict: the search's inputs again, then the held-out inputs it
    never saw (a failure there is never offered), then the timing against the original."""
    resolved = domain.resolve(best.params["code"])
    origins = tuple(dict.fromkeys(e.origin for e in reversed(domain.lineage(best.id)) if e.origin != "seed"))
    if resolved == domain.source:
        return replace(base, message="no candidate beat the original"), domain.source
    base = replace(base, origins=origins)
    report = _compare(domain, resolved, domain.inputs, options)
    if not report.equal:
        return replace(base, message=f"the best candidate failed the final check: {report.feedback}"), domain.source
    if heldout:
        held = _compare(domain, resolved, heldout, options)
        base = replace(base, heldout_passed=held.equal, heldout_feedback=held.feedback)
        if not held.equal:
            return replace(base, message=f"failed held-out verification: {held.feedback}"), domain.source
    timed = [x for i, x in enumerate(domain.inputs) if i not in domain.untimed]
    if not timed:
        return replace(base, message=f"not offered: the original raises on all {len(domain.inputs)} inputs, "
                                     "so there is nothing to time"), domain.source
    timing, warm, carried = _final_timing(domain, resolved, options, timed)
    timed_report = _with_timing(base, timing, warm, carried)
    if timing.status != "ok" or timing.verdict != "faster":
        return replace(timed_report, message=f"not offered: {_describe_timing(timing, warm)}"), domain.source
    return replace(timed_report, status="improved", message=_describe_timing(timing, warm)), resolved


def _compare(domain: ProgramDomain, resolved: str, inputs: Sequence[InputItem], options: ProgramOptions):
    return compare(domain.original, domain.target(resolved), list(inputs),
                   backend=backend_of(options.sandbox), limits=limits_of(options.sandbox, SELF_CHECK))


def _final_timing(domain: ProgramDomain, resolved: str, options: ProgramOptions, inputs: Sequence[InputItem]
                  ) -> tuple[MeasureResult, MeasureResult | None, tuple[str, ...]]:
    """Time on ``inputs``: the search's inputs on which the original does not raise.

    Returns ``(timing, warm, carried)``. When the candidate adds state that can carry
    across calls (``carried``: a cache, a ``global``, a mutable default...), repeating the
    same inputs would time its cache hits, so ``timing`` is measured cold (a fresh module
    per call) and ``warm`` is the usual measurement, kept to show the difference; else
    ``warm`` is None and ``timing`` the usual one."""
    carried = new_carried_state(domain.source, resolved)
    warm = _measure_final(domain, resolved, options, inputs, cold=False)
    if not carried:
        return warm, None, ()
    return _measure_final(domain, resolved, options, inputs, cold=True), warm, carried


def _measure_final(domain: ProgramDomain, resolved: str, options: ProgramOptions, inputs: Sequence[InputItem],
                   *, cold: bool) -> MeasureResult:
    return measure(domain.original, domain.target(resolved), list(inputs),
                   backend=backend_of(options.sandbox), rounds=options.final_rounds,
                   min_sample_s=options.final_min_sample_s, warmup=2, seed=options.seed,
                   min_speedup=options.min_speedup, limits=limits_of(options.sandbox), cold=cold)


def _describe_timing(timing: MeasureResult, warm: MeasureResult | None) -> str:
    """The timing in one line; a cold one says so, with the warm speedup beside it."""
    if warm is None:
        return timing.describe()
    warm_text = f"{warm.speedup:,.4g}x" if warm.status == "ok" and warm.speedup is not None else warm.status
    cold_text = f"{timing.speedup:,.4g}x" if timing.status == "ok" and timing.speedup is not None else "-"
    return (f"measured cold (fresh module per call): {cold_text}; warm {warm_text}; {timing.describe()}")


def _with_timing(report: TargetReport, timing: MeasureResult, warm: MeasureResult | None = None,
                 carried: tuple[str, ...] = ()) -> TargetReport:
    if warm is not None:
        report = replace(report, timing_mode="cold", carried_state=carried,
                         speedup_warm=warm.speedup if warm.status == "ok" else None)
    if timing.status != "ok":
        return report
    return replace(report, before_s=timing.summary_a.median_s, after_s=timing.summary_b.median_s,
                   speedup=timing.speedup, ci_low=timing.ci_low, ci_high=timing.ci_high,
                   verdict=timing.verdict or "")
