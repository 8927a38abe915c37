"""``optimize_file``: speed up a Python file end to end, without the CLI.

    from polca.optimizer.domains.program_run import ProgramOptions, optimize_file
    report = optimize_file("examples/dedup_ids.py", ProgramOptions(top=1), proposer=SkillsProposer())
    report.targets[0].speedup, report.diff()

Steps, per file: find the targets and their inputs (:mod:`.program_targets`,
:mod:`.program_oracle`); then per target, hottest first: keep the inputs on which the
original is deterministic, run POLCA over a :class:`~.program.ProgramDomain`, and
re-check the best candidate on every input and re-time it against the original with
more rounds. A target is *improved* only when every check passes and the verdict is
"faster" (speedup >= ``min_speedup`` with a 95% interval wholly above 1). Improvements
accumulate: each later target starts from the file as improved so far. Nothing is
written to disk here.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from polca.optimizer.api import optimize
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Proposer
from polca.optimizer.domains.program import SCRIPT_TARGET, EvalSettings, ProgramDomain
from polca.optimizer.domains.program_oracle import (
    InputSet,
    OracleCheck,
    UnsupportedSignature,
    discover_tests,
    generated_calls,
    keep_deterministic,
    script_hash_stable,
    script_inputs,
    sibling_files,
    traced_calls,
    traced_test_calls,
)
from polca.optimizer.domains.program_targets import (
    ProgramFile,
    hot_lines,
    load_program,
    profile_script,
)
from polca.optimizer.summarizer import Summarizer
from polca.sandbox import Limits
from polca.sandbox.difftest import compare
from polca.sandbox.measure import MeasureResult, measure
from polca.sandbox.stats import MIN_SPEEDUP
from polca.sandbox.target import encode_inputs
from polca.sandbox.types import BackendName

from polca.events import Event
from polca.runs import ProblemSpec, parse_program_run_name, program_run_name, state_with_outcome

if TYPE_CHECKING:
    from polca.events import EventBus
    from polca.llm import LLMClient
    from polca.store import Store

log = logging.getLogger(__name__)

TargetStatus = Literal["improved", "no_gain", "excluded"]
MAX_CHECK_BYTES = 4_000_000  # the most pickled input bytes kept with a problem for re-verification


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


class NoOracleError(ValueError):
    """No target of the file has any input to check candidates on; the message says what to give."""


@dataclass(frozen=True)
class ProgramOptions:
    """What to optimize and how hard to try.

    ``functions``: only these (``name`` or ``Class.method``); else the ``top`` hottest.
    ``tests``: a pytest file whose calls are captured (default: discovered ones that
    import the file). ``stdin_files``/``args``: the workload of a script, one run per
    stdin file. ``size``: elements per generated container (large inputs for timing).
    ``budget_evals``: instance evaluations per target; ``budget_cost_usd`` and
    ``time_limit_s`` cover the whole file.
    """

    functions: tuple[str, ...] = ()
    top: int = 3
    tests: Path | None = None
    stdin_files: tuple[Path, ...] = ()
    args: tuple[str, ...] = ()
    size: int = 1000
    budget_evals: int = 40
    budget_cost_usd: float | None = None
    time_limit_s: float | None = None
    seed: int = 0
    backend: BackendName = "auto"
    search: EvalSettings = field(default_factory=EvalSettings)
    final_rounds: int = 20
    final_min_sample_s: float = 0.04
    min_speedup: float = MIN_SPEEDUP

    def __post_init__(self) -> None:
        for name in ("top", "size", "budget_evals", "final_rounds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        if self.min_speedup < 1.0:
            raise ValueError(f"min_speedup={self.min_speedup!r} must be >= 1.0 (1.10 is the default)")
        for name in ("budget_cost_usd", "time_limit_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name}={value!r} must be positive, or None for no limit")
        for path in (*self.stdin_files, *([self.tests] if self.tests else [])):
            if not Path(path).is_file():
                raise ValueError(f"{path} is not a file; --stdin and --tests take existing files")


@dataclass(frozen=True)
class TargetReport:
    """What happened to one target; times are seconds per pass over all its inputs."""

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

    def diff(self) -> str:
        """A unified diff from the original file to the optimized one ("" when unchanged)."""
        name = Path(self.path).name
        return "".join(difflib.unified_diff(self.original_source.splitlines(keepends=True),
                                            self.optimized_source.splitlines(keepends=True),
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``polca optimize --json``)."""
        return {"path": self.path, "improved": self.improved, "original_sha256": self.original_sha256,
                "targets": [asdict(t) for t in self.targets], "notes": list(self.notes),
                "wall_s": self.wall_s, "diff": self.diff()}


@dataclass(frozen=True)
class TargetPlan:
    qualname: str | None
    inputs: InputSet
    hot_note: str = ""

    @property
    def name(self) -> str:
        return self.qualname or SCRIPT_TARGET


@dataclass
class _Session:
    """What every target's search shares."""

    program: ProgramFile
    options: ProgramOptions
    proposer: Proposer
    llm: LLMClient | None
    store: Store | None
    events: EventBus | None
    deadline: float | None
    summarizer: Summarizer | None = None
    resume_run: str | None = None
    notes: list[str] = field(default_factory=list)


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
    started = time.monotonic()
    options = options or ProgramOptions()
    program = load_program(path)
    if resume_run is not None:
        options = _options_for_resume(store, resume_run, program, options)
    deadline = started + options.time_limit_s if options.time_limit_s else None
    session = _Session(program, options, proposer, llm, store, events, deadline, summarizer, resume_run)
    plans, reports = plan_targets(program, options)
    source = program.source
    for plan in plans:
        report, source = _optimize_target(session, source, plan)
        reports.append(report)
        if events is not None:
            events.emit(TargetFinished(report))
    if all(r.status == "excluded" for r in reports):
        reasons = "; ".join(f"{r.name}: {r.message}" for r in reports)
        raise NoOracleError(f"no target of {program.path} could be checked, so nothing was searched ({reasons})")
    notes = [*session.notes, *getattr(proposer, "notes", []), *getattr(summarizer, "notes", [])]
    return ProgramReport(str(program.path), program.source, source, tuple(reports), tuple(notes),
                         time.monotonic() - started)


def _options_for_resume(store: Store | None, run_id: str, program: ProgramFile,
                        options: ProgramOptions) -> ProgramOptions:
    if store is None:
        raise ValueError("resuming needs the store that holds the run; pass store=Store.open(url)")
    name = store.get_run(run_id).name
    named = parse_program_run_name(name)
    if named is None:
        raise ValueError(f"run {run_id!r} is not a `polca optimize` run (its name is {name!r})")
    target, stored_path = named
    if Path(stored_path).resolve() != program.path.resolve():
        raise ValueError(f"run {run_id!r} optimized {stored_path}, not {program.path}; pass that file")
    functions = () if target == SCRIPT_TARGET else (target,)
    return replace(options, functions=functions)


# ---------------------------------------------------------------- planning


def plan_targets(program: ProgramFile, options: ProgramOptions) -> tuple[list[TargetPlan], list[TargetReport]]:
    """Targets with inputs, hottest first, and reports for those excluded (with the reason)."""
    for name in options.functions:
        program.function(name)
    if program.kind == "script":
        plans, excluded = _plan_script(program, options)
    else:
        plans, excluded = _plan_module(program, options)
    if not plans:
        reasons = "; ".join(f"{r.name}: {r.message}" for r in excluded) or "no functions found"
        raise NoOracleError(
            f"nothing in {program.path} can be checked ({reasons}). Give type hints to the "
            "functions' parameters, a test file (--tests), or make it a script with stdin (--stdin)")
    return plans, excluded


def _plan_module(program: ProgramFile, options: ProgramOptions) -> tuple[list[TargetPlan], list[TargetReport]]:
    names = list(options.functions) or [f.qualname for f in program.functions
                                        if not f.is_async and not f.name.startswith("_")]
    traced = _traced_from_tests(program, options, names)
    plans, excluded = [], []
    for name in names:
        inputs = traced.get(name, InputSet(()))
        try:
            calls = generated_calls(program.function(name), size=options.size, seed=options.seed)
            inputs = inputs + InputSet(tuple(calls), {"generated": len(calls)})
        except UnsupportedSignature as exc:
            if not inputs.inputs:
                excluded.append(TargetReport(name, "excluded", str(exc)))
                continue
        plans.append(TargetPlan(name, inputs))
    return plans, excluded


def _traced_from_tests(program: ProgramFile, options: ProgramOptions, names: list[str]) -> dict[str, InputSet]:
    tests = [options.tests] if options.tests else discover_tests(program)
    found: dict[str, InputSet] = {}
    for test_file in tests:
        captured = traced_test_calls(program, Path(test_file), names, backend=options.backend)
        for name in names:
            payloads = captured.payloads(f"{program.module_name}:{name}") or captured.payloads(name)
            if payloads:
                found[name] = found.get(name, InputSet(())) + InputSet(tuple(payloads),
                                                                      {"traced (tests)": len(payloads)})
    return found


def _plan_script(program: ProgramFile, options: ProgramOptions) -> tuple[list[TargetPlan], list[TargetReport]]:
    stdin_texts = [Path(p).read_text(encoding="utf-8") for p in options.stdin_files] or [""]
    profile = profile_script(program, stdin=stdin_texts[0], args=options.args, backend=options.backend)
    if profile.status != "ok":
        raise ValueError(f"{program.path} fails when run with the given stdin/args: {profile.status}; "
                         "fix the script or give a workload it accepts (--stdin FILE, --args ...)")
    for name in options.functions:
        if profile.calls_of(name) == 0:
            raise ValueError(f"function {name!r} never runs when {program.path} runs with the given "
                             "stdin/args; give a workload that calls it (--stdin FILE, --args ...)")
    hot = "\n".join(f"- {f.qualname}: {f.calls} calls, {f.cumulative_s:.3f} s cumulative"
                    for f in profile.functions[:6])
    names = list(options.functions) or [f.qualname for f in profile.functions
                                        if f.cumulative_s > 1e-3 and program.function(f.qualname).params]
    names = names[: options.top]
    plans = _traced_plans(program, options, names, stdin_texts, hot) if names else []
    excluded = [TargetReport(n, "excluded", "no call could be captured (arguments that cannot be pickled?)")
                for n in names if n not in {p.qualname for p in plans}]
    if not options.functions:
        plans.append(TargetPlan(None, script_inputs(stdin_texts, options.args), hot))
    return plans, excluded


def _traced_plans(program: ProgramFile, options: ProgramOptions, names: list[str], stdin_texts: list[str],
                  hot: str) -> list[TargetPlan]:
    captured = traced_calls(program, names, stdin_texts=stdin_texts, args=options.args, backend=options.backend)
    plans = []
    for name in names:
        payloads = captured.payloads(name)
        if payloads:
            plans.append(TargetPlan(name, InputSet(tuple(payloads), {"traced (script)": len(payloads)}), hot))
    return plans


# ---------------------------------------------------------------- one target


def _optimize_target(session: _Session, source: str, plan: TargetPlan) -> tuple[TargetReport, str]:
    program, options = session.program, session.options
    files = sibling_files(program)
    probe = ProgramDomain(source, plan.qualname, plan.inputs.inputs, module_name=program.module_name,
                          files=files, settings=options.search)
    check = _oracle(probe, options, in_script=program.kind == "script")
    if check.status != "ok":
        return TargetReport(plan.name, "excluded", check.message, input_sources=plan.inputs.sources,
                            dropped_nondeterministic=check.dropped), source
    domain = ProgramDomain(source, plan.qualname, check.inputs, module_name=program.module_name,
                           files=files, settings=options.search, hot_lines=_hot_note(source, plan, check, session))
    if session.events is not None:
        session.events.emit(TargetStarted(plan.name, len(check.inputs), dict(plan.inputs.sources), check.dropped))
    run_id = _run_id(session, plan)
    used = 0
    if session.resume_run is not None and session.store is not None:
        used = session.store.run_stats([run_id])[run_id].evaluations
    config = _config(session, len(check.inputs), used)
    result = optimize(domain, session.proposer, config=config, llm=session.llm,
                      store=session.store, run_id=run_id, resume=session.resume_run is not None,
                      events=session.events, summarizer=session.summarizer)
    base = TargetReport(plan.name, "no_gain", "", len(check.inputs), plan.inputs.sources, check.dropped,
                        run_id=result.run_id, evaluations=result.evaluations, cost_usd=result.cost_usd)
    report, source = _final_check(domain, result.best, base, options)
    _store_final_check(session.store, report, domain)
    return report, source


def final_check_state(report: TargetReport) -> dict[str, Any]:
    """The final verdict of a target as kept in its run's state (``polca.runs.FINAL_CHECK_KEY``)."""
    return {"status": report.status, "verdict": report.verdict, "speedup": report.speedup,
            "ci_low": report.ci_low, "ci_high": report.ci_high, "inputs_verified": report.inputs_verified,
            "before_s": report.before_s, "after_s": report.after_s, "message": report.message}


def problem_spec(domain: ProgramDomain, problem_id: str) -> ProblemSpec:
    """The target as ``polca train export`` reads it: the task, the original code, and the
    oracle's inputs (at most :data:`MAX_CHECK_BYTES`) so that training rewards can
    re-verify candidates instead of trusting stored scores. Inputs are kept as safe data
    (``inputs``, :mod:`polca.sandbox.codec`: loading them runs no code); only those that a
    pickle alone can carry (instances of the program's own classes) are kept pickled,
    base64, as ``pickled_inputs``, which the export passes on only when allowed."""
    import json

    from polca.sandbox.codec import UnsafeValue
    from polca.sandbox.target import safe_input

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


def _store_final_check(store: Store | None, report: TargetReport, domain: ProgramDomain) -> None:
    """Add the final verdict and the problem to the run's state, beside the engine's own
    entries (kept as they are)."""
    if store is None or report.run_id is None:
        return
    run = store.get_run(report.run_id)
    if run.iteration is None:
        log.debug("run %s has no checkpoint; its final verdict is not stored", run.id)
        return
    target, path = parse_program_run_name(run.name) or (domain.name, "")
    problem = problem_spec(domain, f"{target}:{path}")
    state = state_with_outcome(run.state, problem, final_check_state(report))
    store.write_iteration(run.id, iteration=run.iteration, state=state)


def _hot_note(source: str, plan: TargetPlan, check: OracleCheck, session: _Session) -> str:
    """Where the time goes: the script's hottest functions and the target's most executed lines."""
    notes = [f"Hottest functions under the script's workload:\n{plan.hot_note}"] if plan.hot_note else []
    if plan.qualname is not None:
        payloads = encode_inputs(list(check.inputs[-5:]), script=False)
        lines = hot_lines(source, plan.qualname, payloads, module_name=session.program.module_name,
                          backend=session.options.backend)
        if lines:
            notes.append(f"Most executed lines while `{plan.qualname}` runs on its inputs:\n{lines}")
    return "\n\n".join(notes)


def _oracle(domain: ProgramDomain, options: ProgramOptions, *, in_script: bool = False) -> OracleCheck:
    """Keep the inputs the original answers deterministically; a failure to run raises, except for
    a function of a script, which is excluded (importing a script that does its work at import,
    e.g. calls ``main()`` reading stdin, can fail where running it does not)."""
    check = keep_deterministic(domain.original, domain.inputs, backend=options.backend,
                               timeout_s=options.search.timeout_s * 2)
    if check.status == "error" and in_script and domain.qualname is not None:
        reason = " ".join(check.message.split())
        return replace(check, message=(
            f"cannot be called on its own: {reason}; the script does its work at import, so only the whole "
            'script is optimized (put the call to main() under `if __name__ == "__main__":` to optimize it)'))
    if check.status == "error":
        raise ValueError(f"the original {domain.name} cannot run: {check.message}; fix the file so that "
                         "importing it works without side effects that fail")
    if check.status == "timeout":
        return replace(check, message=f"the original took longer than {options.search.timeout_s * 2:g} s on its "
                                      "inputs; give a smaller workload (--size, --stdin)")
    if check.status == "nondeterministic":
        return replace(check, message=f"non-deterministic: {check.message} (random, time, ...); seed or "
                                      "remove the randomness to optimize it")
    if domain.qualname is None and not all(script_hash_stable(domain.source, i, backend=options.backend)
                                           for i in check.inputs):
        return replace(check, status="nondeterministic", message=(
            "non-deterministic: the script's output changes with the hash seed (set or dict ordering "
            "of str keys); sort what it prints to optimize it"))
    return check


def _run_id(session: _Session, plan: TargetPlan) -> str | None:
    if session.store is None:
        return None
    if session.resume_run is not None:
        return session.resume_run
    name = program_run_name(plan.qualname, session.program.path)
    return session.store.create_run("program", _config(session, len(plan.inputs.inputs)).to_dict(), name=name)


def _config(session: _Session, num_inputs: int, used_evaluations: int = 0) -> OptimizerConfig:
    """The search's settings; a resumed run gets ``budget_evals`` more than it already spent."""
    options = session.options
    remaining_s = None if session.deadline is None else max(1.0, session.deadline - time.monotonic())
    return OptimizerConfig(
        num_candidates=2, num_proposals=2, batch_size=min(4, num_inputs), epsilon=0.01, num_pool=0,
        summarize_every=1 if session.llm is not None else 0,
        max_evaluations=options.budget_evals + used_evaluations,
        max_cost_usd=options.budget_cost_usd, max_wall_s=remaining_s, seed=options.seed, max_workers=2)


def _final_check(domain: ProgramDomain, best, base: TargetReport,
                 options: ProgramOptions) -> tuple[TargetReport, str]:
    resolved = domain.resolve(best.params["code"])
    origins = tuple(dict.fromkeys(e.origin for e in reversed(domain.lineage(best.id)) if e.origin != "seed"))
    if resolved == domain.source:
        return replace(base, message="no candidate beat the original"), domain.source
    report = compare(domain.original, domain.target(resolved), list(domain.inputs), backend=options.backend,
                     limits=Limits(timeout_s=options.search.timeout_s * 2))
    if not report.equal:
        return replace(base, message=f"the best candidate failed the final check: {report.feedback}",
                       origins=origins), domain.source
    timing = _final_timing(domain, resolved, options)
    timed = _with_timing(replace(base, origins=origins), timing)
    if timing.status != "ok" or timing.verdict != "faster":
        return replace(timed, message=f"not offered: {timing.describe()}"), domain.source
    return replace(timed, status="improved", message=timing.describe()), resolved


def _final_timing(domain: ProgramDomain, resolved: str, options: ProgramOptions) -> MeasureResult:
    return measure(domain.original, domain.target(resolved), list(domain.inputs), backend=options.backend,
                   rounds=options.final_rounds, min_sample_s=options.final_min_sample_s, warmup=2,
                   seed=options.seed, min_speedup=options.min_speedup)


def _with_timing(report: TargetReport, timing: MeasureResult) -> TargetReport:
    if timing.status != "ok":
        return report
    return replace(report, before_s=timing.summary_a.median_s, after_s=timing.summary_b.median_s,
                   speedup=timing.speedup, ci_low=timing.ci_low, ci_high=timing.ci_high,
                   verdict=timing.verdict or "")
