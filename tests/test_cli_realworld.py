"""`polca optimize` as a user runs it (the installed console script, from a folder outside
the checkout, offline, no key) on code shaped like what users bring: no type hints, lists
of dicts, methods of classes, dataclasses, numpy arrays. Each target must get an oracle
(inputs inferred and generated), and nothing may end in a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.cli import installed_polca

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

SHAPES = '''from dataclasses import dataclass


def total_by_owner(records):
    """Sum of the amounts per owner, for records like {"owner": "ann", "amount": 3}."""
    totals = {}
    for r in records:
        if r["owner"] not in totals:
            totals[r["owner"]] = 0
        totals[r["owner"]] += r["amount"]
    return totals


@dataclass
class Box:
    width: int
    height: int


def largest_area(boxes: list[Box]) -> int:
    return sorted([b.width * b.height for b in boxes])[-1] if boxes else 0


class Inventory:
    def __init__(self, names: list[str]):
        self.names = names

    def missing(self, wanted):
        out = []
        for w in wanted:
            if w not in self.names:
                out.append(w)
        return out
'''

NUMERIC = '''import numpy as np


def scaled_sum(values: np.ndarray, factor: float) -> float:
    total = 0.0
    for i in range(len(values)):
        total += values[i] * factor
    return total
'''

CLASS_LEVEL = '''class Prices:
    RATE = 3

    def __init__(self, amounts: list[int]):
        self.amounts = amounts

    @classmethod
    def from_counts(cls, counts: list[int]) -> "Prices":
        amounts = []
        for c in counts:
            amounts.append(c * cls.RATE)
        return cls(amounts)

    @classmethod
    def total_at_rate(cls, counts: list[int]) -> int:
        total = 0
        for c in counts:
            total = total + c * cls.RATE
        return total

    @staticmethod
    def largest(values: list[int]) -> int:
        best = None
        for v in values:
            if best is None or v > best:
                best = v
        return 0 if best is None else best
'''

QUICK_ENV = {"POLCA_OPTIMIZE_BUDGET_EVALS": "4", "POLCA_OPTIMIZE_FINAL_ROUNDS": "6",
             "POLCA_OPTIMIZE_MAX_MUTANTS": "4", "POLCA_SEARCH_ROUNDS": "3", "POLCA_SEARCH_WARMUP": "0"}


def _optimize(folder: Path, name: str, *args: str, timeout_s: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, **QUICK_ENV}
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "POLCA_LLM_MODEL"):
        env.pop(key, None)
    return subprocess.run([installed_polca(), "optimize", name, "--json", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=timeout_s)


def test_unannotated_dicts_dataclasses_and_methods_all_get_an_oracle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_code")
    (folder / "shapes.py").write_text(SHAPES)
    done = _optimize(folder, "shapes.py")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    targets = {t["name"]: t for t in json.loads(done.stdout)["targets"]}
    assert set(targets) == {"total_by_owner", "largest_area", "Inventory.missing"}
    for name, target in targets.items():
        assert target["status"] != "excluded", (name, target["message"])
        assert target["input_sources"].get("generated", 0) > 0 and target["inputs_heldout"] > 0, name


def test_classmethods_and_staticmethods_are_called_on_their_class_and_checked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_classes")
    (folder / "prices.py").write_text(CLASS_LEVEL)
    done = _optimize(folder, "prices.py")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    targets = {t["name"]: t for t in json.loads(done.stdout)["targets"]}
    assert set(targets) == {"Prices.from_counts", "Prices.total_at_rate", "Prices.largest"}
    for name, target in targets.items():
        assert target["status"] != "excluded", (name, target["message"])
        assert target["inputs_verified"] > 0 and target["inputs_heldout"] > 0, name


RANKING = '''def top_scores(scores, top):
    ranked = []
    for s in scores:
        ranked.append(s)
    ranked.sort(reverse=True)
    return ranked, top  # top is only handed back: nothing in the body types it
'''
RANKING_CALLER = '''from .ranking import top_scores


def podium():
    return top_scores([9.5, 7.25, 8.0, 6.5], 3)
'''


def test_a_parameter_typed_only_by_a_call_in_another_module_of_the_package_gets_an_oracle(tmp_path_factory):
    package = tmp_path_factory.mktemp("user_package") / "league"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ranking.py").write_text(RANKING)
    alone = _optimize(package, "ranking.py")
    assert alone.returncode != 0 and "Traceback" not in alone.stderr
    assert "parameter 'top'" in alone.stderr  # says which parameter cannot be typed
    (package / "awards.py").write_text(RANKING_CALLER)
    done = _optimize(package, "ranking.py")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    (target,) = json.loads(done.stdout)["targets"]
    assert target["status"] != "excluded", target["message"]
    assert target["input_sources"].get("generated", 0) > 0 and target["inputs_heldout"] > 0


def test_a_numpy_parameter_gets_generated_arrays(tmp_path_factory):
    pytest.importorskip("numpy")
    folder = tmp_path_factory.mktemp("user_numpy")
    (folder / "numeric.py").write_text(NUMERIC)
    done = _optimize(folder, "numeric.py")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    (target,) = json.loads(done.stdout)["targets"]
    assert target["status"] != "excluded", target["message"]
    assert target["inputs_verified"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_bundled_example_runs_offline_with_no_key(example, tmp_path_factory):
    folder = tmp_path_factory.mktemp("example")
    shutil.copyfile(EXAMPLES / example, folder / example)
    args = []
    workload = (EXAMPLES / example).with_suffix(".txt")
    if workload.is_file():
        shutil.copyfile(workload, folder / workload.name)
        args = ["--stdin", workload.name]
    done = _optimize(folder, example, *args, timeout_s=900)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    targets = json.loads(done.stdout)["targets"]
    assert targets and all(t["status"] != "excluded" for t in targets), targets
