"""The rule-development corpus: every file compiles, and runs are classed as the README says."""

from __future__ import annotations

import ast

import pytest

from benchmarks.devset.run import STDIN, TARGETS, classify


@pytest.mark.parametrize("path", sorted(TARGETS.glob("*.py")), ids=lambda p: p.stem)
def test_every_devset_file_parses(path):
    ast.parse(path.read_text(encoding="utf-8"))


def test_every_stdin_workload_belongs_to_a_script_of_the_corpus():
    stems = {p.stem for p in TARGETS.glob("*.py")}
    assert all(s.stem.rsplit("_", 1)[0] in stems for s in STDIN.glob("*.txt"))


def _target(status, speedup=None, message=""):
    return {"name": "f", "status": status, "speedup": speedup, "message": message}


def test_runs_are_classed_by_their_targets():
    assert classify(1, None) == "refused"
    assert classify(None, None) == "crash"
    assert classify(0, {"targets": [_target("improved", 1.5), _target("no_gain")]}) == "sped up"
    assert classify(0, {"targets": [_target("improved", 1.05)]}) == "no gain"
    nothing = _target("no_gain", message="nothing to try offline: no executable skill changes it")
    assert classify(0, {"targets": [nothing, _target("excluded")]}) == "nothing to try"
    assert classify(0, {"targets": [nothing, _target("no_gain", 0.97)]}) == "no gain"
