"""Planning a file: its targets, hottest first, each with the inputs it is checked on.

:func:`plan_file` does all that can refuse a file, before any search starts and before
anything is written to a store: load and parse it, find the targets, capture their
inputs (:mod:`.oracle`), generate more from the parameters' types (:mod:`.inputs`), set
apart the held-out inputs kept for the final verdict (:mod:`.heldout`), and keep the
inputs on which the original answers the same way every time. Bad input raises
ValueError with one line saying what
to do; a file none of whose targets can be checked raises :class:`NoOracleError`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from polca.optimizer.domains.program.heldout import keep_heldout, split_traced
from polca.optimizer.domains.program.inputs import (
    heldout_calls,
    large_size_calls,
    scales,
    search_calls,
    target_params,
)
from polca.optimizer.domains.program.isolation import SELF_CHECK
from polca.optimizer.domains.program.options import ProgramOptions
from polca.optimizer.domains.program.oracle import (
    InputSet,
    OracleCheck,
    PytestMissing,
    UnsupportedSignature,
    caller_files,
    discover_tests,
    is_pytest_missing,
    keep_deterministic,
    missing_import,
    script_hash_stable,
    script_inputs,
    sibling_files,
    traced_calls,
    traced_test_calls,
)
from polca.optimizer.domains.program.reports import TargetReport
from polca.optimizer.domains.program.targets import ProgramFile, load_program, profile_script
from polca.runs import SCRIPT_TARGET
from polca.sandbox.codec import UnsafeValue, plain_from_pickle
from polca.sandbox.target import Call, InputItem, Target
from polca.skills.analysis.facts import merge_observed, observed_type


class NoOracleError(ValueError):
    """No target of the file has any input to check candidates on; the message says what to give."""


@dataclass(frozen=True)
class TargetPlan:
    """One target with its inputs and, once checked, the ones the original answers deterministically.

    ``inputs`` are the search's; ``heldout`` are kept apart for the final verdict only
    (:mod:`.heldout`), and ``heldout_check`` keeps those the original answers cleanly.
    """

    qualname: str | None
    inputs: InputSet
    hot_note: str = ""
    check: OracleCheck | None = None
    heldout: InputSet = InputSet(())
    heldout_check: OracleCheck = OracleCheck((), 0, "ok")

    @property
    def name(self) -> str:
        return self.qualname or SCRIPT_TARGET


@dataclass(frozen=True)
class FilePlan:
    """A file ready to search: its checked targets in order, the excluded ones with the
    reason, notes for the user, and when planning began (``time.monotonic``), which
    ``time_limit`` counts from."""

    program: ProgramFile
    options: ProgramOptions
    targets: tuple[TargetPlan, ...]
    excluded: tuple[TargetReport, ...]
    notes: tuple[str, ...] = ()
    started: float = 0.0


def plan_file(path: str | Path, options: ProgramOptions, *, only: str | None = None) -> FilePlan:
    """Load ``path``, find its targets and check their oracles (``only``: just that target,
    as a resumed run names it). Raises ValueError for bad input and NoOracleError when no
    target can be checked."""
    started = time.monotonic()
    program = load_program(path)
    notes: list[str] = []
    plans, excluded = plan_targets(program, options, notes, script_only=only == SCRIPT_TARGET)
    if only is not None:
        plans = [p for p in plans if p.name == only]
        excluded = [r for r in excluded if r.name == only]
    checked = []
    for plan in plans:
        check = oracle(program, plan, options)
        if check.status == "ok":
            heldout = keep_heldout(original_target(program, plan.qualname), plan.heldout.inputs, options.sandbox)
            checked.append(replace(plan, check=check, heldout_check=heldout))
        else:
            excluded.append(TargetReport(plan.name, "excluded", check.message, input_sources=plan.inputs.sources,
                                         dropped_nondeterministic=check.dropped))
    if not checked:
        reasons = "; ".join(f"{r.name}: {r.message}" for r in excluded)
        raise NoOracleError(f"no target of {program.path} could be checked, so nothing was searched ({reasons})")
    return FilePlan(program, options, tuple(checked), tuple(excluded), tuple(notes), started)


def plan_targets(program: ProgramFile, options: ProgramOptions, notes: list[str] | None = None, *,
                 script_only: bool = False) -> tuple[list[TargetPlan], list[TargetReport]]:
    """Targets with inputs, hottest first, and reports for those excluded (with the reason).

    Notes for the user (tests found that cannot run) are appended to ``notes``.
    """
    notes = [] if notes is None else notes
    for name in options.function:
        program.function(name)
    if program.kind == "script":
        plans, excluded = _plan_script(program, options, script_only=script_only)
    else:
        plans, excluded = _plan_module(program, options, notes)
    if not plans:
        reasons = "; ".join(f"{r.name}: {r.message}" for r in excluded) or "no functions found"
        raise NoOracleError(f"nothing in {program.path} can be checked ({reasons}). {_what_to_give(options, notes)}")
    return plans, excluded


def _what_to_give(options: ProgramOptions, notes: list[str]) -> str:
    """The advice of a file with nothing to check against: the tests that cannot run, when
    there are some (more tests would not help), and never "give --tests" to whoever gave them."""
    if notes:
        return " ".join(notes)
    tests = "" if options.tests is not None else ", a test file (--tests)"
    return f"Give type hints to the functions' parameters{tests}, or make it a script with stdin (--stdin)"


def _plan_module(program: ProgramFile, options: ProgramOptions,
                 notes: list[str]) -> tuple[list[TargetPlan], list[TargetReport]]:
    names, capped = list(options.function), ""
    if not names:
        names, capped = _capped([f.qualname for f in program.functions
                                 if not f.is_async and not f.name.startswith("_")], program)
    traced = _traced_from_tests(program, options, names, notes)
    plans, excluded = [], []
    for name in names:
        inputs, heldout = split_traced(traced.get(name, InputSet(())))
        try:
            search, held = _generated(program, name, options)
        except UnsupportedSignature as exc:
            if not inputs.inputs:
                excluded.append(TargetReport(name, "excluded", _without_inputs(exc, options, notes)))
                continue
            search, held = InputSet(()), InputSet(())
        plans.append(TargetPlan(name, inputs + search, heldout=heldout + held))
    if capped:
        notes.append(capped)  # after planning: the notes so far say which tests could not run
    return plans, excluded


def _generated(program: ProgramFile, name: str, options: ProgramOptions) -> tuple[InputSet, InputSet]:
    """(search, held-out) calls generated from the parameters' types (:mod:`.inputs`), at a
    scale grown by timing the original (``--size`` sets the search's). Raises
    UnsupportedSignature when a parameter cannot be generated."""
    params = target_params(program.source, program.function(name), callers=caller_files(program),
                           module_name=program.module_name)
    original = original_target(program, name)
    search_n, top = scales(original, params, options.sandbox, seed=options.seed, size=options.size)
    search = search_calls(params, scale=search_n, seed=options.seed)
    held = heldout_calls(params, scale=top, seed=options.seed)
    large = large_size_calls(original, params, options.sandbox, scale=top, seed=options.seed)
    return (InputSet(tuple(search), {"generated": len(search)}),
            InputSet(tuple(held), {"generated (held-out)": len(held)})
            + InputSet(tuple(large), {"generated (held-out, large sizes)": len(large)} if large else {}))



MAX_UNNAMED_TARGETS = 12
"""The most functions of a module planned when none is named: each costs sandbox runs to
check and a search, so a file of a thousand functions would run for hours."""


def _capped(names: list[str], program: ProgramFile) -> tuple[list[str], str]:
    """The first :data:`MAX_UNNAMED_TARGETS` of ``names``, and a note when some are left out."""
    if len(names) <= MAX_UNNAMED_TARGETS:
        return names, ""
    return names[:MAX_UNNAMED_TARGETS], (
        f"{program.path.name} has {len(names)} functions; only the first {MAX_UNNAMED_TARGETS} in file order "
        "are optimized (name others with --function NAME)")


def _generated_heldout(program: ProgramFile, name: str, options: ProgramOptions) -> InputSet:
    """Held-out calls generated for a traced target (none when they cannot be generated)."""
    try:
        return _generated(program, name, options)[1]
    except UnsupportedSignature:
        return InputSet(())


def _without_inputs(exc: UnsupportedSignature, options: ProgramOptions, notes: list[str]) -> str:
    """Why a function has no inputs, and the other ways to give some (not the ones tried)."""
    if options.tests is not None:
        return f"{exc}, or call it in the given tests ({options.tests.name} does not)"
    if notes:  # tests were found but could not run
        return str(exc)
    return f"{exc}, or give tests (--tests) or a script run to capture real calls"


def _traced_from_tests(program: ProgramFile, options: ProgramOptions, names: list[str],
                       notes: list[str]) -> dict[str, InputSet]:
    """Calls captured from the given or discovered tests. Tests that cannot run because pytest
    is missing are an error when given, a note when discovered."""
    tests = [options.tests] if options.tests else discover_tests(program)
    found: dict[str, InputSet] = {}
    for test_file in tests:
        captured = traced_test_calls(program, Path(test_file), names, sandbox=options.sandbox)
        if captured.status == "error" and is_pytest_missing(captured.message):
            missing = PytestMissing("given" if options.tests else "found", tests)
            if options.tests:
                raise missing
            notes.append(f"{missing}.")
            break
        for name in names:
            payloads = captured.payloads(f"{program.module_name}:{name}") or captured.payloads(name)
            if payloads:
                found[name] = found.get(name, InputSet(())) + InputSet(tuple(payloads),
                                                                      {"traced (tests)": len(payloads)})
    return found


def _plan_script(program: ProgramFile, options: ProgramOptions, *,
                 script_only: bool = False) -> tuple[list[TargetPlan], list[TargetReport]]:
    stdin_texts = [Path(p).read_text(encoding="utf-8") for p in options.stdin] or [""]
    profile = profile_script(program, stdin=stdin_texts[0], args=options.args, sandbox=options.sandbox)
    if profile.status != "ok":
        raise ValueError(missing_import(profile.status, program) or (
            f"{program.path} fails when run with the given stdin/args: {profile.status}; "
            "fix the script or give a workload it accepts (--stdin FILE, --args ...)"))
    for name in options.function:
        if profile.calls_of(name) == 0:
            raise ValueError(f"function {name!r} never runs when {program.path} runs with the given "
                             "stdin/args; give a workload that calls it (--stdin FILE, --args ...)")
    hot = "\n".join(f"- {f.qualname}: {f.calls} calls, {f.cumulative_s:.3f} s cumulative"
                    for f in profile.functions[:6])
    names = list(options.function) or [f.qualname for f in profile.functions
                                       if f.cumulative_s > 1e-3 and program.function(f.qualname).params]
    names = [] if script_only else names[: options.top]
    plans = _traced_plans(program, options, names, stdin_texts, hot) if names else []
    excluded = [TargetReport(n, "excluded", "no call could be captured (arguments that cannot be pickled?)")
                for n in names if n not in {p.qualname for p in plans}]
    if not options.function:
        plans.append(TargetPlan(None, script_inputs(stdin_texts, options.args), hot))
    return plans, excluded


def _traced_plans(program: ProgramFile, options: ProgramOptions, names: list[str], stdin_texts: list[str],
                  hot: str) -> list[TargetPlan]:
    captured = traced_calls(program, names, stdin_texts=stdin_texts, args=options.args, sandbox=options.sandbox)
    plans = []
    for name in names:
        payloads = captured.payloads(name)
        if payloads:
            inputs, heldout = split_traced(InputSet(tuple(payloads), {"traced (script)": len(payloads)}))
            plans.append(TargetPlan(name, inputs, hot, heldout=heldout + _generated_heldout(program, name, options)))
    return plans


# ---------------------------------------------------------------- the oracle


def original_target(program: ProgramFile, qualname: str | None, source: str | None = None) -> Target:
    """The code under test: ``qualname`` of ``source`` (default: the file), beside its sibling modules."""
    files = {k: v for k, v in sibling_files(program).items() if k != f"{program.module_name}.py"}
    return Target(source=program.source if source is None else source, qualname=qualname,
                  module_name=program.module_name, files=files)


def oracle(program: ProgramFile, plan: TargetPlan, options: ProgramOptions) -> OracleCheck:
    """Keep the inputs the original answers deterministically. A failure to run raises, except
    for a function of a script, which is excluded (importing a script that does its work at
    import, e.g. calls ``main()`` reading stdin, can fail where running it does not)."""
    sandbox, in_script = options.sandbox, program.kind == "script"
    check = keep_deterministic(original_target(program, plan.qualname), plan.inputs.inputs, sandbox=sandbox)
    if check.status == "error":
        advice = missing_import(check.message, program)
        if advice is not None:
            raise ValueError(advice)
    if check.status == "error" and in_script and plan.qualname is not None:
        reason = " ".join(check.message.split())
        return replace(check, message=(
            f"cannot be called on its own: {reason}; the script does its work at import, so only the whole "
            'script is optimized (put the call to main() under `if __name__ == "__main__":` to optimize it)'))
    if check.status == "error":
        raise ValueError(f"the original {plan.name} cannot run: {check.message}; fix the file so that "
                         "importing it works without side effects that fail")
    return _judged(program, plan, check, options)


def _judged(program: ProgramFile, plan: TargetPlan, check: OracleCheck, options: ProgramOptions) -> OracleCheck:
    """A check that ran, with the reason it cannot be used, if any, in words."""
    if check.status == "timeout":
        limit_s = options.sandbox.timeout_s * SELF_CHECK
        return replace(check, message=f"the original took longer than {limit_s:g} s on its inputs; give a "
                                      "smaller workload (--size, --stdin) or raise [tool.polca.sandbox] timeout_s")
    if check.status == "nondeterministic":
        return replace(check, message=f"non-deterministic: {check.message} (random, time, ...); seed or "
                                      "remove the randomness to optimize it")
    if check.status == "ok" and plan.qualname is None and not all(
            script_hash_stable(program.source, i, sandbox=options.sandbox) for i in check.inputs):
        return replace(check, status="nondeterministic", message=(
            "non-deterministic: the script's output changes with the hash seed (set or dict ordering "
            "of str keys); sort what it prints to optimize it"))
    return check


# ---------------------------------------------------------------- observed types, for the rules


def observed_types(program: ProgramFile, targets: Sequence[TargetPlan]) -> dict[str, dict[str, str]]:
    """The runtime types of each function target's parameters over its checked inputs,
    ``{qualname: {param: type}}`` (:func:`polca.skills.analysis.facts.observed_type`, merged
    with ``merge_observed``), as rules read them. Generated calls are read directly; a
    traced (pickled) input only when it is plain data (:func:`polca.sandbox.codec.plain_from_pickle`
    runs no code): a call holding instances of the program's own classes, as a method's
    ``self``, tells nothing here."""
    observed: dict[str, dict[str, str]] = {}
    for plan in targets:
        if plan.qualname is None or plan.check is None:
            continue
        names = [p.name for p in program.function(plan.qualname).params if p.kind != "varargs"]
        positional = [p.name for p in program.function(plan.qualname).params if p.kind == "positional"]
        types: dict[str, str] = {}
        for item in plan.check.inputs:
            for name, value in _bound(item, positional, names):
                types[name] = merge_observed(types.get(name), observed_type(value))
        if program.function(plan.qualname).is_method and names[:1] in (["self"], ["cls"]):
            types.pop(names[0], None)  # the receiver: an instance, or a classmethod's class
        if types:
            observed[plan.qualname] = types
    return observed


def _bound(item: InputItem, positional: list[str], names: list[str]) -> list[tuple[str, Any]]:
    """(parameter, value) pairs of one input: positional arguments by the signature's order
    (a method's first is ``self``), keyword ones by name; extra ``*args`` are skipped."""
    if isinstance(item, bytes):
        try:
            loaded = plain_from_pickle(item)
        except UnsafeValue:
            return []
        if type(loaded) is not tuple or len(loaded) != 2 or not isinstance(loaded[1], dict):
            return []
        item = Call(tuple(loaded[0]), loaded[1])
    if isinstance(item, tuple):
        item = Call(args=item)
    if not isinstance(item, Call):
        return []
    pairs = list(zip(positional, item.args, strict=False))
    return pairs + [(k, v) for k, v in item.kwargs.items() if k in names]
