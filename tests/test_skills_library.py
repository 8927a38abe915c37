"""Every built-in operator skill: its example is equivalent and faster, its rule is sound.

(a) before.py and after.py agree on generated inputs of several sizes and seeds;
(b) after.py is faster than before.py by at least 1.10x with the sandbox's measurement
    (all skills under ``-m slow``; a small subset in the default run);
(c) a rule turns before.py into code equivalent to after.py, and leaves its counter.py
    byte-identical.
"""

from __future__ import annotations

import shutil

import libcst as cst
import pytest

from polca.skills.examples import (
    bench_size,
    load_after,
    load_before,
    load_module,
    make_example_input,
    measure_and_record,
    measure_example,
    run_in_process,
)
from polca.skills.model import OPERATOR_FAMILIES, load_library, parse_skill
from polca.skills.rules import apply_rule

LIBRARY = load_library()
OPERATORS = [s for s in LIBRARY if s.type == "operator"]
WITH_RULES = [s for s in OPERATORS if s.has_rule]
SEEDS = (0, 1, 2)
# The default run checks only skills whose gain is an order of magnitude, so that load on
# the machine cannot turn a true gain into "no difference"; the slow run measures all.
# (buffered-output's 1.3-2x over a whole script's start-up once read 0.68-3.96x under load.)
FAST_SPEED_SUBSET = ("list-membership-to-set", "early-exit-search")


def _sizes(skill) -> list[int]:
    big = bench_size(skill)
    return sorted({0, 1, 2, 7, max(1, big // 8), max(1, big // 3)})


def _assert_equivalent(reference, candidate, before, sizes, seeds=SEEDS) -> None:
    for size in sizes:
        for seed in seeds:
            item = make_example_input(before, size, seed)
            expected = _outcome(reference, item)
            got = _outcome(candidate, item)
            assert got == expected, f"size={size} seed={seed}: {got!r:.200} != {expected!r:.200}"


def _outcome(module, item):
    """The result, or the exception type: both sides must fail alike on edge inputs."""
    try:
        return ("ok", run_in_process(module, item))
    except Exception as exc:  # an example may legitimately raise on degenerate inputs
        return ("raised", type(exc).__name__)


def test_library_has_the_promised_breadth():
    assert len(OPERATORS) >= 30
    assert len(WITH_RULES) >= 30  # the offline proposer is only as wide as its executable rules
    assert {s.family for s in OPERATORS} == set(OPERATOR_FAMILIES)
    assert sorted(s.family for s in LIBRARY if s.type == "meta") == [
        "diagnose",
        "judge",
        "retrieve",
        "strategize",
    ]


def test_every_operator_skill_has_a_runnable_example():
    missing = [s.id for s in OPERATORS if s.before_path is None]
    assert missing == []


@pytest.mark.parametrize("skill", OPERATORS, ids=lambda s: s.id)
def test_before_and_after_are_equivalent(skill):
    before = load_before(skill)
    _assert_equivalent(before, load_after(skill), before, _sizes(skill))


@pytest.mark.parametrize("skill", OPERATORS, ids=lambda s: s.id)
def test_examples_produce_answers_not_only_errors(skill):
    before = load_before(skill)
    item = make_example_input(before, max(1, bench_size(skill) // 8), 0)
    assert _outcome(before, item)[0] == "ok"


@pytest.mark.parametrize("skill", WITH_RULES, ids=lambda s: s.id)
def test_rule_turns_before_into_code_equivalent_to_after(skill):
    source = skill.before_path.read_text()
    outcome = apply_rule(skill, source)
    assert outcome.error == ""
    assert outcome.changed, f"the rule of {skill.id} did not rewrite its own before.py"
    before = load_before(skill)
    rewritten = load_module(outcome.code, f"{skill.id.replace('-', '_')}_rewritten")
    _assert_equivalent(load_after(skill), rewritten, before, _sizes(skill))


@pytest.mark.parametrize("skill", WITH_RULES, ids=lambda s: s.id)
def test_rule_leaves_its_counter_example_byte_identical(skill):
    source = skill.counter_path.read_text()
    outcome = apply_rule(skill, source)
    assert outcome.error == ""
    assert not outcome.changed
    assert outcome.code == source


@pytest.mark.parametrize("skill", WITH_RULES, ids=lambda s: s.id)
def test_rule_is_idempotent(skill):
    once = apply_rule(skill, skill.before_path.read_text()).code
    twice = apply_rule(skill, once)
    assert not twice.changed, f"second application changed:\n{twice.code}"


@pytest.mark.parametrize("skill", WITH_RULES, ids=lambda s: s.id)
def test_rule_leaves_after_py_alone(skill):
    source = skill.after_path.read_text()
    assert apply_rule(skill, source).code == source


@pytest.mark.parametrize("skill", WITH_RULES, ids=lambda s: s.id)
def test_rule_output_parses(skill):
    cst.parse_module(apply_rule(skill, skill.before_path.read_text()).code)


def _assert_faster(skill, **kwargs) -> None:
    result = measure_example(skill, backend="none", **kwargs)
    assert result.status == "ok", result.describe()
    assert result.speedup >= 1.10 and result.verdict == "faster", result.describe()


@pytest.mark.slow
@pytest.mark.parametrize("skill", OPERATORS, ids=lambda s: s.id)
def test_after_is_measurably_faster(skill):
    _assert_faster(skill)


@pytest.mark.parametrize("skill_id", FAST_SPEED_SUBSET)
def test_after_is_measurably_faster_quick_subset(skill_id):
    skill = next(s for s in OPERATORS if s.id == skill_id)
    _assert_faster(skill, min_sample_s=0.01, rounds=8)


def test_measurement_is_recorded_by_the_tool_in_measured_json(tmp_path):
    source = next(s for s in OPERATORS if s.id == "list-membership-to-set").path
    skill = parse_skill(shutil.copytree(source, tmp_path / source.name))
    result, measured = measure_and_record(skill, backend="none", min_sample_s=0.005, rounds=4, size=50)
    assert result.status == "ok", result.describe()
    assert skill.measured() == measured
    assert measured.example_size == 50 and measured.example_speedup_median == result.speedup
