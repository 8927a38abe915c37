"""The held-out suite is sound: its files load, its originals are right, its traps are real."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.heldout.judge import judge
from benchmarks.heldout.report import counted_speedup, summarize
from benchmarks.heldout.run import (
    Record,
    RunSettings,
    _classify,
    _matches,
    reason_class,
    rebuild_markdown,
    write_results,
)
from benchmarks.heldout.suite import SUITE, TARGETS_DIR, HeldoutTarget, kind_counts
from benchmarks.heldout.traps import (
    TRAP_REWRITES_DIR,
    TRAP_TARGETS_DIR,
    TRAPS,
    ScriptedTrapModel,
    Trap,
    trap_by_name,
)
from benchmarks.heldout.values import Raises, load_module, plain, resolve, same

FUNCTIONS = [t for t in SUITE if not t.is_script]
SCRIPTS = [t for t in SUITE if t.is_script]
ALL_FILES = sorted([*TARGETS_DIR.glob("*.py"), *TRAP_TARGETS_DIR.glob("*.py"), *TRAP_REWRITES_DIR.glob("*.py")])


def _callable(module, qualname: str):
    value = module
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def _outcome(fn, args):
    try:
        return plain(fn(*args))
    except Exception as exc:  # an example may expect the original to raise
        return Raises(type(exc).__name__)


# ---------------------------------------------------------------- the files and the manifest


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_target_and_rewrite_file_parses(path: Path):
    ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_suite_has_the_promised_mix_of_kinds():
    counts = kind_counts()
    assert len(SUITE) >= 44
    minimum = {"unannotated": 12, "dicts": 8, "numpy": 5, "dataclass": 4, "method": 5, "nested": 4, "script": 6,
               "optional": 1, "callable": 1, "generator": 1, "partial": 1}
    short = {kind: counts[kind] for kind, least in minimum.items() if counts[kind] < least}
    assert not short, f"fewer targets than promised: {short}"


def test_every_target_file_is_in_the_manifest_once_and_no_name_shadows_a_stdlib_module():
    names = [t.name for t in SUITE]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(p.stem for p in TARGETS_DIR.glob("*.py"))
    assert sorted(t.name for t in TRAPS) == sorted(p.stem for p in TRAP_TARGETS_DIR.glob("*.py"))
    assert not set(names + [t.name for t in TRAPS]) & sys.stdlib_module_names


@pytest.mark.parametrize("target", FUNCTIONS, ids=lambda t: t.name)
def test_every_module_target_imports_and_its_function_exists(target: HeldoutTarget):
    module = load_module(target.path, target.name)
    assert callable(_callable(module, target.function))
    if "method" in target.kinds:
        cls = getattr(module, target.function.split(".")[0])
        typed_init = any(p.annotation is not inspect.Parameter.empty
                         for p in inspect.signature(cls.__init__).parameters.values())
        assert dataclasses.is_dataclass(cls) or typed_init


@pytest.mark.parametrize("target", FUNCTIONS, ids=lambda t: t.name)
def test_hand_checked_examples_hold_for_the_original(target: HeldoutTarget):
    module = load_module(target.path, target.name)
    fn = _callable(module, target.function)
    assert len(target.examples) >= 2
    for example in target.examples:
        got = _outcome(fn, resolve(example.args, module))
        assert same(got, example.expected), f"{target.name}{example.args!r}: got {got!r}"


@pytest.mark.parametrize("target", SCRIPTS, ids=lambda t: t.name)
def test_script_examples_hold_for_the_original(target: HeldoutTarget):
    assert target.workload is not None and target.workload(random.Random(0))
    for example in target.examples:
        run = subprocess.run([sys.executable, str(target.path)], input=example.args, capture_output=True,
                             text=True, timeout=30)
        assert run.returncode == 0, run.stderr
        assert run.stdout == example.expected


@pytest.mark.parametrize("item", [*SUITE, *TRAPS], ids=lambda t: t.name)
def test_heldout_inputs_build_reproducibly_from_a_seed(item: HeldoutTarget | Trap):
    first, again = item.heldout_items(), item.heldout_items()
    assert len(first) >= 5
    assert pickle.dumps(first) == pickle.dumps(again)


# ---------------------------------------------------------------- the traps


@pytest.mark.parametrize("trap", TRAPS, ids=lambda t: t.name)
def test_each_trap_has_a_right_rewrite_that_matches_and_a_wrong_one_that_differs(trap: Trap):
    original = trap.path.read_text(encoding="utf-8")
    assert judge(trap, original, trap.right_source).status == "equal"
    assert judge(trap, original, trap.wrong_source).status == "wrong"


def _proposer_prompt(code: str) -> dict:
    text = f'## Current parameters\n<current name="code">\n{code}\n</current>\n<param name="code">'
    return {"messages": [{"role": "user", "content": text}]}


def test_the_scripted_model_serves_the_wrong_rewrite_first_then_the_right_one_then_the_parent():
    trap = TRAPS[0]
    model = ScriptedTrapModel()
    answers = [model(_proposer_prompt(trap.path.read_text(encoding="utf-8").rstrip("\n"))) for _ in range(3)]
    assert trap.wrong_source in answers[0] and trap.right_source in answers[1]
    assert trap.path.read_text(encoding="utf-8") in answers[2]
    assert all(a.startswith("<reasoning>") and '<param name="code">' in a for a in answers)
    assert model.served[trap.name] == ["wrong", "right", "parent"]
    assert "<summary>" in model({"messages": [{"role": "user", "content": "## Candidates tried\n<summary>"}]})


# ---------------------------------------------------------------- the runner's bookkeeping


def test_an_offered_trap_function_is_recognised_after_polca_splices_it_into_the_original():
    trap = trap_by_name("block_sizes")
    original = trap.path.read_text(encoding="utf-8")
    head = original.split("def round_up_sizes")[0]
    wrong_function = "def round_up_sizes" + trap.wrong_source.split("def round_up_sizes")[1]
    assert _matches(trap, head + wrong_function) == "wrong"
    assert _matches(trap, trap.right_source) == "right"
    assert _matches(trap, original) == "other"


def test_a_refusal_is_told_from_a_crash_and_a_hang():
    refused = "error: nothing in f.py can be checked (f: parameter 'x' of f has no type hint; add one)"
    assert _classify(1, None, refused) == ("refused", refused)
    assert _classify(1, None, "Traceback (most recent call last):\n  ...\nKeyError: 'x'")[0] == "crash"
    assert _classify(None, None, "")[0] == "hang"
    assert _classify(0, {"targets": [{"name": "f", "status": "no_gain"}]}, "") == ("searched", "")
    assert reason_class(refused) == "no-type-hint"
    assert reason_class("Frob.go is a method; its inputs need an instance") == "method-needs-instance"
    assert reason_class("something new") == "other"
    numpy = "cannot generate inputs for parameter 'a': np.ndarray of f; supported hints: int"
    assert reason_class(numpy) == "unsupported-type-hint (numpy)"
    assert reason_class(numpy.replace("np.ndarray", "list[Parcel]")) == "unsupported-type-hint (user-class)"
    assert reason_class(numpy.replace("np.ndarray", "list[dict]")) == "unsupported-type-hint (bare-container)"


def _record(name: str, outcome: str, speedup: float | None = None, judged: str | None = None) -> Record:
    return Record(name=name, kinds=["x"], function="f", outcome=outcome, reason_class="", reason="",
                  exit_code=0, wall_s=1.0, improved=speedup is not None, speedup=speedup, targets=[],
                  judge=judged, judge_feedback="", traceback_in_stderr=False, stderr_tail="", command="",
                  model_served=[], offered_matches="", diff="")


def test_the_geomean_counts_failures_and_wrong_changes_as_one():
    records = [_record("a", "searched", 4.0, "equal"), _record("b", "searched", 9.0, "wrong"),
               _record("c", "refused"), _record("d", "hang")]
    assert [counted_speedup(r) for r in records] == [4.0, 1.0, 1.0, 1.0]
    summary = summarize(records)
    assert summary["geomean_speedup"] == pytest.approx(4.0 ** 0.25)
    assert (summary["sped_up"], summary["wrong_offered"], summary["hung"]) == (1, 1, 1)


def test_the_markdown_table_can_be_rebuilt_from_the_raw_json(tmp_path: Path):
    records = [_record("a", "searched", 2.0, "equal"), _record("b", "refused")]
    path = write_results("heldout", RunSettings(), records, "python -m benchmarks.heldout.run", 3.0, tmp_path)
    written = path.with_suffix(".md").read_text(encoding="utf-8")
    assert rebuild_markdown(path).read_text(encoding="utf-8") == written
    assert "| a | x | searched | - | 2.00x | equal |" in written


# ---------------------------------------------------------------- slow: the originals on every held-out input


@pytest.mark.slow
@pytest.mark.parametrize("target", SUITE, ids=lambda t: t.name)
def test_the_original_answers_every_heldout_input(target: HeldoutTarget):
    assert judge(target, target.path.read_text(encoding="utf-8"), target.path.read_text(encoding="utf-8"),
                 timeout_s=60).status == "equal"
