"""The held-out program suite itself: its originals are right, and its runner runs."""

from __future__ import annotations

import contextlib
import io
import math
import sys
from pathlib import Path

import pytest

from benchmarks.programs import run as bench
from benchmarks.programs.scripted import REWRITES, scripted_responder
from benchmarks.programs.suite import BY_NAME, SUITE, TARGETS_DIR, BenchTarget
from polca.optimizer.domains.program.proposers import ProposerChain, SkillsProposer
from polca.sandbox.difftest import compare
from polca.sandbox.target import Target


def _function(target: BenchTarget):
    namespace: dict = {"__name__": target.name}
    exec(compile(target.path.read_text(encoding="utf-8"), str(target.path), "exec"), namespace)
    return namespace[target.function]


def _run_script(target: BenchTarget, stdin: str) -> str:
    out, old = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(target.path.read_text(encoding="utf-8"), str(target.path), "exec"), {"__name__": "__main__"})
    finally:
        sys.stdin = old
    return out.getvalue()


def test_suite_has_thirty_distinct_targets_one_file_each() -> None:
    names = [t.name for t in SUITE]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert sorted(p.stem for p in TARGETS_DIR.glob("*.py")) == sorted(names)
    assert sum(t.function is None for t in SUITE) >= 4
    assert len({t.domain for t in SUITE}) >= 5


@pytest.mark.parametrize("target", SUITE, ids=lambda t: t.name)
def test_original_gives_the_known_answers_and_runs_its_heldout_set(target: BenchTarget) -> None:
    inputs = target.heldout_inputs()
    assert len(inputs) >= 10 and target.examples
    if target.function is None:
        for stdin, expected in target.examples:
            assert _run_script(target, stdin) == expected
        outputs = [_run_script(target, item.stdin) for item in inputs]
        assert outputs == [_run_script(target, item.stdin) for item in inputs]
        return
    function = _function(target)
    for args, expected in target.examples:
        assert function(*args) == expected
    outputs = [function(*call.args) for call in inputs]
    assert outputs == [function(*call.args) for call in inputs]


def test_heldout_inputs_are_reproducible() -> None:
    target = BY_NAME["csv_fields"]
    assert target.heldout_inputs() == target.heldout_inputs()
    assert target.heldout_inputs(seed=1) != target.heldout_inputs()


def test_heldout_judge_catches_a_rewrite_that_forgets_to_trim() -> None:
    target = BY_NAME["dedupe_emails"]
    wrong = REWRITES["def dedupe_emails("][0]
    original = Target(target.path.read_text(encoding="utf-8"), target.function, module_name=target.name)
    verdict = compare(original, Target(wrong, target.function, module_name=target.name), target.heldout_inputs())
    assert not verdict.equal


def test_scripted_responder_answers_proposals_with_the_table_and_summaries_with_advice() -> None:
    respond = scripted_responder()
    source = BY_NAME["prefix_minimum"].path.read_text(encoding="utf-8")
    proposal = {"messages": [{"role": "user", "content": f'<current name="code">\n{source}\n</current>\n'
                                                         '```python\n@functools.cache\n```\n<param name="code">'}]}
    assert "accumulate(readings, min)" in respond(proposal)
    other = BY_NAME["vowel_profile"].path.read_text(encoding="utf-8")
    echoed = respond({"messages": [{"role": "user", "content": f'<current name="code">\n{other}</current> <param'}]})
    assert other in echoed
    assert "<summary>" in respond({"messages": [{"role": "user", "content": "summarize"}]})


def test_summary_counts_failures_as_one_in_the_geometric_mean() -> None:
    def outcome(status: str, speedup: float | None, offered: bool) -> bench.TargetOutcome:
        return bench.TargetOutcome("t", "d", "function", status, offered, None, "", speedup, None, None,
                                   {}, [], 0, 1.0, "", [])

    summary = bench.summarize([outcome("sped_up", 4.0, True), outcome("false_positive", None, True),
                               outcome("no_change", None, False), outcome("error", None, False)])
    assert summary["sped_up"] == 1 and summary["false_positives"] == 1 and summary["offered"] == 2
    assert math.isclose(summary["geomean_speedup"], 4.0 ** 0.25)


def test_runner_smoke_on_one_target(tmp_path: Path) -> None:
    budget = bench.Budget(evals=2, time_limit_s=30.0, final_rounds=3, remeasure_rounds=3)
    outcome = bench.run_target(BY_NAME["tokenize_expr"], proposer=ProposerChain([SkillsProposer()]),
                               budget=budget, workdir=tmp_path)
    assert outcome.status in ("sped_up", "offered_small", "no_change", "false_positive")
    assert outcome.evaluations > 0 and outcome.wall_s > 0
    if outcome.offered:
        assert outcome.heldout_equal is not None
    text = bench.results_markdown("offline", [outcome], bench.summarize([outcome]), budget, "cmd")
    assert "| tokenize_expr |" in text and "geometric-mean speedup" in text
