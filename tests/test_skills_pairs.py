"""Pair datasets: polca's JSONL layout, PIE's input/target layout, and clear errors."""

from __future__ import annotations

import json

import pytest

from polca.sandbox.target import Call, ScriptInput
from polca.skills.pairs import DEFAULT_CORPUS, load_pairs, parse_pair, parse_pairs, problems


def _write(tmp_path, records):
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    return path


def test_polca_layout_with_inputs_and_tests(tmp_path):
    record = {"id": "a", "problem": "p", "slow": "def f(x):\n    return x\n", "fast": "def f(x):\n    return x\n",
              "entry": "f", "inputs": [[1], [2]], "tests": [{"input": [3], "output": 3}]}
    (pair,) = load_pairs(_write(tmp_path, [record]))
    assert (pair.id, pair.problem, pair.entry, pair.is_script) == ("a", "p", "f", False)
    assert pair.all_inputs() == [[1], [2], [3]]
    assert pair.sandbox_inputs() == [Call(args=(1,)), Call(args=(2,)), Call(args=(3,))]
    assert pair.target(pair.slow).qualname == "f"


def test_pie_layout_reads_input_and_target_as_slow_and_fast(tmp_path):
    record = {"problem_id": "p00001", "src_id": "s1", "tgt_id": "s2", "input": "print(int(input()) * 2)\n",
              "target": "import sys\nprint(int(sys.stdin.readline()) * 2)\n", "cpu_time_v0": 120, "cpu_time_v1": 40}
    (pair,) = load_pairs(_write(tmp_path, [record]))
    assert pair.slow.startswith("print(int(input())")
    assert pair.fast.startswith("import sys")
    assert (pair.id, pair.problem, pair.is_script) == ("p00001-s1-s2", "p00001", True)
    script = parse_pair({"input": "x = 1", "target": "x = 1", "inputs": ["3\n"]})
    assert script.sandbox_inputs() == [ScriptInput(stdin="3\n")]


def test_missing_id_and_problem_default_to_the_line(tmp_path):
    pairs = parse_pairs(['{"slow": "a = 1", "fast": "a = 1"}', "", '{"slow": "b = 1", "fast": "b = 1"}'])
    assert [p.id for p in pairs] == ["line-1", "line-3"]
    assert problems(pairs) == ["line-1", "line-3"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"fast": "x"}, "'slow'"),
        ({"slow": "x", "input": "x", "fast": "y"}, "both"),
        ({"slow": "x", "fast": "y", "entry": "not an id"}, "entry"),
        ({"slow": "x", "fast": "y", "entry": "f", "inputs": [1]}, "positional arguments"),
        ({"slow": "x", "fast": "y", "inputs": [[1]]}, "stdin text"),
        ({"slow": "x", "fast": "y", "tests": [{"input": "1"}]}, "'output'"),
        ({"slow": "x", "fast": "y", "inputs": "1"}, "must be a list"),
    ],
)
def test_bad_records_say_what_and_where(record, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_pairs([json.dumps(record)])
    assert "line 1" in str(info.value)


def test_bad_json_duplicate_ids_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="line 1 is not valid JSON"):
        parse_pairs(["{nope"])
    with pytest.raises(ValueError, match="used twice"):
        parse_pairs(['{"id": "a", "slow": "x", "fast": "y"}'] * 2)
    with pytest.raises(ValueError, match="does not exist"):
        load_pairs(tmp_path / "absent.jsonl")
    with pytest.raises(TypeError, match="JSON object"):
        parse_pair(["slow"])


def test_bundled_corpus_has_several_pairs_per_pattern():
    pairs = load_pairs(DEFAULT_CORPUS)
    assert len(pairs) >= 40
    patterns: dict[str, set[str]] = {}
    for pair in pairs:
        patterns.setdefault(pair.id.rsplit("-", 1)[0], set()).add(pair.problem)
    assert len(patterns) >= 8 and all(len(found) >= 4 for found in patterns.values())
    assert all(p.tests and p.entry == "solve" for p in pairs)
