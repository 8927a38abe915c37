"""The held-out suite's peer: ruff's fixes are judged and timed the way polca's changes are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.heldout.peer import peer_fields, ruff_executable, ruff_fixed, timed_change

pytestmark = pytest.mark.skipif(ruff_executable() is None, reason="ruff is not installed")

ORIGINAL = "def keys_of(d):\n    return [k for k in d.keys()]\n"


@dataclass
class ToyTarget:
    path: Path
    function: str = "keys_of"

    def heldout_items(self):
        return [({"a": 1, "b": 2},), ({},), ({i: i for i in range(2000)},)]


def _target(tmp_path: Path) -> ToyTarget:
    path = tmp_path / "toy.py"
    path.write_text(ORIGINAL, encoding="utf-8")
    return ToyTarget(path)


def test_ruff_applies_its_unsafe_fixes_to_a_copy():
    fixed = ruff_fixed(ORIGINAL, "toy.py")
    assert fixed != ORIGINAL and "d.keys()" not in fixed.replace("list(d.keys())", "")


def test_a_right_change_is_timed_and_a_wrong_one_counts_one(tmp_path):
    target = _target(tmp_path)
    right = timed_change(target, ORIGINAL, "def keys_of(d):\n    return list(d)\n")
    assert right.judge == "equal" and right.speedup is not None and right.ci_low <= right.speedup
    wrong = timed_change(target, ORIGINAL, "def keys_of(d):\n    return sorted(d)[:1]\n")
    assert wrong.judge == "wrong" and wrong.counted == 1.0


def test_nothing_offered_counts_one_on_both_sides(tmp_path):
    fields = peer_fields(_target(tmp_path), ORIGINAL, None)
    assert fields["polca"] == {"changed": False, "judge": None, "speedup": None, "ci_low": None,
                               "ci_high": None, "note": "no change", "counted": 1.0}
    assert fields["ruff"]["changed"] is True
