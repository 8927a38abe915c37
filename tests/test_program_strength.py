"""Oracle strength: coverage of the target by its inputs, the mutation score, the label and the gates."""

from __future__ import annotations

import json
import os
import random
import subprocess

import pytest
from typer.testing import CliRunner

from polca.cli import app
from polca.config import SandboxConfig
from polca.optimizer.domains.program import ProgramOptions
from polca.optimizer.domains.program.domain import ProgramDomain
from polca.optimizer.domains.program.reports import TargetReport
from polca.optimizer.domains.program.run import _judge_strength
from polca.optimizer.domains.program.strength import (
    OracleStrength,
    function_span,
    gate_message,
    killed_by,
    mutants,
    oracle_strength,
    perturb,
)
from polca.runs import final_check_of
from polca.sandbox.coverage import CoverageResult, measure_coverage
from polca.sandbox.target import Target
from polca.store import Store
from tests.fixtures.cli import installed_polca as _installed_polca

runner = CliRunner()
QUICK = ["--budget-evals", "2", "--size", "300"]

SIGNED_SUM = '''import math


def signed_sum(xs, negate):
    total = 0
    for x in xs:
        total += x
    if negate:
        total = -total
    return total
'''

COUNT_BELOW = '''def count_below(xs, limit):
    """How many of 0..limit-1 occur in xs."""
    count = 0
    for v in range(limit):
        if v in xs:
            count += 1
    return count
'''

# dedup_ids's loop, which the dict.fromkeys skill speeds up, with a branch no ordinary input takes
WEAK_IDS = '''"""Unique ids, with a branch that ordinary inputs never take."""


def unique_ids(ids: list[int]) -> list[int]:
    """The ids in order of first appearance, each once; huge inputs come back sorted."""
    out = []
    for x in ids:
        if x not in out:
            out.append(x)
    if len(out) > 100_000:
        out.sort()
    return out
'''


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------- coverage


def test_coverage_of_an_untaken_branch_is_below_one_and_names_the_line():
    span = function_span(SIGNED_SUM, "signed_sum")
    assert span == (5, 10)
    result = measure_coverage(Target(SIGNED_SUM, "signed_sum"), [([1, 2], False)], first_line=span[0],
                              last_line=span[1])
    assert result.status == "ok"
    assert (result.lines_covered, result.lines_total) == (5, 6) and result.missing_lines == (9,)
    assert (result.branches_covered, result.branches_total) == (3, 4)
    assert result.line_fraction == 5 / 6 and result.branch_fraction == 3 / 4


def test_inputs_that_take_every_branch_cover_the_function_fully():
    span = function_span(SIGNED_SUM, "signed_sum")
    result = measure_coverage(Target(SIGNED_SUM, "signed_sum"), [([1, 2], False), ([], True)],
                              first_line=span[0], last_line=span[1])
    assert result.line_fraction == 1.0 and result.branch_fraction == 1.0 and result.missing_lines == ()


def test_only_the_function_counts_not_the_rest_of_the_module():
    source = SIGNED_SUM + "\n\ndef unused(a):\n    if a:\n        return 1\n    return 2\n"
    span = function_span(source, "signed_sum")
    result = measure_coverage(Target(source, "signed_sum"), [([1], True)], first_line=span[0], last_line=span[1])
    assert (result.lines_covered, result.lines_total) == (6, 6)


def test_a_file_named_coverage_beside_the_program_does_not_replace_coverage_py():
    target = Target(SIGNED_SUM, "signed_sum", files={"coverage.py": "raise SystemExit(3)\n"})
    result = measure_coverage(target, [([1], True)], first_line=5, last_line=10)
    assert result.status == "ok" and result.line_fraction == 1.0


def test_coverage_refuses_a_script_or_no_inputs():
    with pytest.raises(ValueError, match="inputs is empty"):
        measure_coverage(Target(SIGNED_SUM, "signed_sum"), [], first_line=1, last_line=2)
    with pytest.raises(ValueError, match="function target"):
        measure_coverage(Target("print(1)"), ["x"], first_line=1, last_line=1)


# ---------------------------------------------------------------- mutants


def _range_mutant():
    (found,) = [m for m in mutants(COUNT_BELOW, "count_below") if "range" in m.description]
    assert "range(limit + 1)" in found.source
    return found


def test_a_range_off_by_one_is_killed_by_inputs_that_reach_the_bound():
    original = Target(COUNT_BELOW, "count_below")
    assert killed_by(original, _range_mutant(), [([1, 3], 3)], SandboxConfig())


def test_a_range_off_by_one_survives_inputs_that_never_reach_the_bound():
    original = Target(COUNT_BELOW, "count_below")
    assert not killed_by(original, _range_mutant(), [([1, 2], 3), ([0], 5)], SandboxConfig())


def test_mutants_are_deterministic_capped_and_spread_over_the_function():
    first = mutants(WEAK_IDS, "unique_ids", limit=3, seed=1)
    assert [m.description for m in first] == [m.description for m in mutants(WEAK_IDS, "unique_ids", limit=3, seed=1)]
    assert len(first) == 3
    every = mutants(WEAK_IDS, "unique_ids", limit=100)
    assert len(every) > 3 and first[0].line < first[-1].line
    assert all(m.source != WEAK_IDS for m in every)


def test_a_mutant_that_loops_forever_counts_as_killed():
    source = "def countdown(n):\n    while n > 0:\n        n -= 1\n    return n\n"
    (looping,) = [m for m in mutants(source, "countdown") if "Sub -> Add" in m.description]
    assert killed_by(Target(source, "countdown"), looping, [(3,)], SandboxConfig(timeout_s=2.0))


def test_strength_of_a_weak_oracle_is_labelled_weakly_verified():
    strength = oracle_strength(Target(COUNT_BELOW, "count_below"), [([7], 2)], SandboxConfig(), aim=False)
    assert strength.line_coverage == 4 / 5  # `count += 1` never runs
    assert strength.total > 0 and strength.killed < strength.total
    assert strength.label == "weakly verified"
    assert "line 4: range(..., stop) -> range(..., stop + 1)" in strength.survived


def test_a_script_or_no_inputs_is_not_measured():
    assert oracle_strength(Target("print(1)"), ["x"], SandboxConfig()).label == ""
    assert oracle_strength(Target(COUNT_BELOW, "count_below"), [], SandboxConfig()) == OracleStrength()


# ---------------------------------------------------------------- inputs aimed at uncovered lines

CLAMP_SUM = '''def clamp_sum(xs: list[int], cap: int) -> int:
    total = 0
    for x in xs:
        if x < 0:
            continue
        total += x
    if total > cap:
        return cap
    return total
'''
# faster-looking and right on every input without a negative number or a small cap
CLAMP_SUM_WRONG = '''def clamp_sum(xs: list[int], cap: int) -> int:
    return sum(xs)
'''
FEW_INPUTS = [([1, 2, 3], 100), ([4, 5], 50)]


def test_weak_coverage_gets_inputs_aimed_at_the_lines_it_missed():
    original = Target(CLAMP_SUM, "clamp_sum")
    plain = oracle_strength(original, FEW_INPUTS, SandboxConfig(), max_mutants=0, aim=False)
    assert plain.line_coverage == 6 / 8 and plain.label == "weakly verified"
    aimed = oracle_strength(original, FEW_INPUTS, SandboxConfig(), max_mutants=0)
    assert aimed.aimed and aimed.line_coverage == 1.0 and aimed.label == "verified"
    assert aimed.aimed == oracle_strength(original, FEW_INPUTS, SandboxConfig(), max_mutants=0).aimed  # seeded


def test_an_improvement_wrong_on_the_aimed_inputs_is_not_offered():
    domain = ProgramDomain(CLAMP_SUM, "clamp_sum", FEW_INPUTS)
    improved = TargetReport("clamp_sum", "improved", "faster")
    report, source = _judge_strength(domain, improved, CLAMP_SUM_WRONG, ProgramOptions(max_mutants=0))
    assert report.status == "no_gain" and source == CLAMP_SUM
    assert report.message.startswith("not offered: failed on inputs aimed at lines the oracle missed")
    assert report.inputs_aimed > 0


def test_perturbed_values_keep_their_type():
    rng = random.Random(0)
    for value in (3, 2.5, True, "ab", [1, 2], (1, "x"), {"k": 1}):
        assert type(perturb(value, rng)) is type(value)


# ---------------------------------------------------------------- label and gates


def _strength(covered: int, total: int, killed: int, mutants_total: int) -> OracleStrength:
    return OracleStrength(CoverageResult("ok", covered, total), killed, mutants_total)


def test_the_label_follows_the_named_thresholds():
    assert _strength(8, 10, 6, 10).label == "verified"
    assert _strength(7, 10, 10, 10).label == "weakly verified"
    assert _strength(10, 10, 5, 10).label == "weakly verified"


def test_a_gate_names_the_figure_and_the_flag():
    weak = _strength(42, 100, 9, 10)
    assert gate_message(weak, 0.6, 0.0) == "not offered: weakly verified: line coverage 0.42 < --min-coverage 0.6"
    assert "mutation score 0.90 (9/10) < --min-mutation-score 0.95" in gate_message(weak, 0.0, 0.95)
    assert gate_message(weak, 0.0, 0.0) == "" and gate_message(weak, 0.4, 0.9) == ""
    assert "not measured" in gate_message(OracleStrength(), 0.5, 0.0)


@pytest.mark.parametrize("name, value", [("min_coverage", 1.5), ("min_mutation_score", -0.1), ("max_mutants", -1)])
def test_bad_gate_values_are_one_clear_error(name, value):
    with pytest.raises(ValueError, match=name):
        ProgramOptions(**{name: value})


# ---------------------------------------------------------------- through polca optimize


def test_min_coverage_refuses_a_change_checked_by_a_weak_oracle_and_the_store_keeps_why(tmp_path):
    path = tmp_path / "weak_ids.py"
    path.write_text(WEAK_IDS)
    result = runner.invoke(app, ["optimize", str(path), *QUICK, "--min-coverage", "0.99", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (target,) = data["targets"]
    assert target["status"] == "no_gain" and not data["improved"] and data["diff"] == ""
    assert target["message"].startswith("not offered: weakly verified: line coverage 0.86 < --min-coverage 0.99")
    assert target["verification"] == "weakly verified" and target["coverage_lines"] == 6 / 7
    killed, total = target["mutation_score"]
    assert 0 < killed < total
    with Store.open(f"sqlite:///{tmp_path / '.polca' / 'polca.db'}") as store:
        (run,) = store.list_runs()
        stored = final_check_of(run)["oracle_strength"]
    assert stored == {"verification": "weakly verified", "coverage_lines": 6 / 7,
                      "coverage_branches": target["coverage_branches"], "mutation_score": [killed, total],
                      "inputs_aimed": target["inputs_aimed"]}
    assert path.read_text() == WEAK_IDS


def test_the_installed_command_shows_the_oracle_strength(tmp_path_factory):
    folder = tmp_path_factory.mktemp("elsewhere")
    (folder / "weak_ids.py").write_text(WEAK_IDS)
    env = {**os.environ, "POLCA_OPTIMIZE_FINAL_ROUNDS": "8", "POLCA_SEARCH_ROUNDS": "3", "POLCA_SEARCH_WARMUP": "0",
           "COLUMNS": "200"}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    done = subprocess.run([_installed_polca(), "optimize", "weak_ids.py", *QUICK], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "unique_ids: weakly verified (oracle runs 86% of lines, 83% of branches; caught " in done.stdout
    assert "improved" in done.stdout  # no gate by default: the label only
