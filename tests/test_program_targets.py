"""Program targets: loading a file, its kind and functions, and splicing candidates (no sandbox)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from polca.optimizer.domains.program.targets import (
    function_text,
    load_program,
    merge_candidate,
    private_helpers,
)

MODULE = '''"""Doc."""

import math


def slow(xs: list[int], k: int = 2, *rest, flag: bool, **extra) -> int:
    return sum(x * k for x in xs)


def other(n):
    return n + 1


class Grid:
    @staticmethod
    def step(cells: list[int]) -> list[int]:
        return [c + 1 for c in cells]
'''


def _write(tmp_path: Path, text: str, name: str = "mod.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_file_is_a_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_program(tmp_path / "nope.py")


def test_a_file_that_is_not_python_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a Python file"):
        load_program(_write(tmp_path, "hello", "notes.txt"))


def test_a_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ValueError, match="syntax error at line 2"):
        load_program(_write(tmp_path, "x = 1\ndef f(:\n"))


def test_functions_and_methods_are_found_with_their_hints(tmp_path):
    program = load_program(_write(tmp_path, MODULE))
    assert program.kind == "module"
    assert [f.qualname for f in program.functions] == ["slow", "other", "Grid.step"]
    slow = program.function("slow")
    assert [(p.name, p.annotation, p.kind, p.has_default) for p in slow.params] == [
        ("xs", "list[int]", "positional", False), ("k", "int", "positional", True),
        ("rest", "", "varargs", True), ("flag", "bool", "keyword", False), ("extra", "", "varkw", True)]
    assert program.function("Grid.step").is_method
    assert program.function("Grid.step").first_line == 15  # the decorator's line


def test_an_unknown_function_lists_the_known_ones(tmp_path):
    program = load_program(_write(tmp_path, MODULE))
    with pytest.raises(ValueError, match="functions found: slow, other, Grid.step"):
        program.function("fast")


@pytest.mark.parametrize("tail, kind", [
    ("", "module"),
    ("\nif __name__ == '__main__':\n    print(other(1))\n", "script"),
    ("\nprint(other(1))\n", "script"),
    ("\nfor i in range(3):\n    other(i)\n", "script"),
    ("\nLIMIT = 10\n", "module"),
])
def test_a_file_that_does_work_at_import_is_a_script(tmp_path, tail, kind):
    assert load_program(_write(tmp_path, MODULE + tail)).kind == kind


def test_function_text_includes_decorators():
    assert function_text(MODULE, "Grid.step").lstrip().startswith("@staticmethod")


def test_merge_keeps_only_the_target_and_what_the_candidate_added():
    candidate = MODULE.replace("import math\n", "import math\nimport functools\n")
    candidate = candidate.replace("return sum(x * k for x in xs)", "return k * _total(xs)")
    candidate = candidate.replace("return n + 1", "return n + 2")  # a change to another function
    candidate = candidate.replace("\n\ndef slow", "\n\nSCALE = 3\n\n\ndef _total(xs):\n    return sum(xs)\n\n\ndef slow")
    merged = merge_candidate(MODULE, candidate, "slow")
    assert "import functools" in merged
    assert "return k * _total(xs)" in merged and "def _total(xs):" in merged and "SCALE = 3" in merged
    assert "return n + 1" in merged and "return n + 2" not in merged
    compile(merged, "merged.py", "exec")


HELPERS = '''"""Doc."""


def _ways(n):
    return 1 if n < 2 else _ways(n - 1) + _ways(n - 2)


def _shared(n):
    return n


def ways(ns: list[int]) -> list[int]:
    return [_ways(n) + _shared(n) for n in ns]


def report(n):
    return _shared(n)
'''


def test_merge_keeps_a_change_to_a_private_helper_only_the_target_reaches():
    candidate = HELPERS.replace('"""Doc."""\n', '"""Doc."""\n\nimport functools\n')
    candidate = candidate.replace("def _ways(n):", "@functools.cache\ndef _ways(n):")
    merged = merge_candidate(HELPERS, candidate, "ways")
    assert "import functools" in merged and "@functools.cache\ndef _ways(n):" in merged
    assert merged.count("def _ways") == 1
    compile(merged, "merged.py", "exec")


def test_merge_drops_changes_to_helpers_other_code_reaches_and_to_public_functions():
    candidate = HELPERS.replace("def _shared(n):\n    return n", "def _shared(n):\n    return -n")
    candidate = candidate.replace("def report(n):\n    return _shared(n)", "def report(n):\n    return 0")
    assert merge_candidate(HELPERS, candidate, "ways") == HELPERS


def test_private_helpers_are_private_names_reached_only_through_the_target():
    tree = ast.parse(HELPERS + "\n\ndef _unused(n):\n    return n\n")
    assert private_helpers(tree, "ways") == {"_ways"}
    assert private_helpers(tree, "report") == set()
    assert private_helpers(ast.parse(HELPERS.replace("_ways", "ways_of")), "ways") == set()


def test_merge_of_a_method_replaces_only_that_method():
    candidate = MODULE.replace("return [c + 1 for c in cells]", "return list(map((1).__add__, cells))")
    merged = merge_candidate(MODULE, candidate, "Grid.step")
    assert "list(map((1).__add__, cells))" in merged
    assert merged.count("class Grid") == 1


def test_merge_refuses_a_candidate_without_the_target():
    with pytest.raises(ValueError, match="no longer defines 'slow'"):
        merge_candidate(MODULE, MODULE.replace("def slow", "def quick"), "slow")


def test_merge_of_an_unparsable_candidate_is_a_value_error():
    with pytest.raises(ValueError, match="syntax error"):
        merge_candidate(MODULE, "def slow(:\n", "slow")


def test_hot_lines_name_the_most_executed_lines_of_the_target():
    from polca.optimizer.domains.program.targets import hot_lines
    from polca.sandbox.target import encode_inputs

    source = "def f(xs):\n    out = 0\n    for x in xs:\n        out += x\n    return out\n"
    text = hot_lines(source, "f", encode_inputs([(list(range(50)),)], script=False), module_name="m")
    assert text.splitlines()[0] == "- line 3 (51 times): for x in xs:"
    assert "- line 4 (50 times): out += x" in text
