"""Differential checking: deep equality, the four checks, feedback, non-deterministic originals."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from polca.sandbox.difftest import InputOutcome, Mismatch, compare, feedback_text, self_check
from polca.sandbox.target import Call, ScriptInput, Target
from polca.sandbox.worker import first_difference

BACKEND = "none"


def _fn(source: str, qualname: str = "f") -> Target:
    return Target(source=source, qualname=qualname)


def _checks(report) -> list[list[str]]:
    return [[m.check for m in o.mismatches] for o in report.outcomes]


# ------------------------------------------------------------------ deep equality


class _Point:
    def __init__(self, x):
        self.x = x


def _other_point_class():
    """A class with the same qualified name as ``_Point`` but another identity, as the
    original's and the candidate's copies of one module have."""

    def __init__(self, x):
        self.x = x

    return type("_Point", (), {"__init__": __init__})


class _Frame:
    """Pandas-like: compared through ``equals``."""

    def __init__(self, rows):
        self.rows = rows

    def equals(self, other):
        return self.rows == other.rows


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        (1.0, 1.0 + 1e-12),
        (float("nan"), float("nan")),
        ({"a": [1, (2.0, {3})]}, {"a": [1, (2.0, {3})]}),
        (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
        (np.float64(2.5), 2.5),
        (_Point(1), _other_point_class()(1)),
        (_Frame([1, 2]), _Frame([1, 2])),
        (complex(1, float("nan")), complex(1, float("nan"))),
        (_Point, _other_point_class()),
        ([len, math.sqrt], [len, math.sqrt]),
    ],
)
def test_equal_values_have_no_difference(expected, got):
    assert first_difference(expected, got) is None


@pytest.mark.parametrize(
    ("expected", "got", "path", "reason"),
    [
        (1.0, 1.1, "result", "tolerance"),
        (1, 1.0, "result", "type int != float"),
        ({"a": 1}, {"b": 1}, "result", "keys differ"),
        ([1, [2, 3]], [1, [2, 4]], "result[1][1]", "values differ"),
        ([1, 2], [1, 2, 3], "result", "lengths differ"),
        ({1, 2}, {1, 3}, "result", "values differ"),
        (np.zeros((2, 2)), np.zeros((2, 3)), "result", "shape"),
        (np.zeros(2), np.zeros(2, dtype=np.float32), "result", "dtype"),
        (np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]]), "result[1, 1]", "array values differ"),
        (_Point(1), _other_point_class()(2), "result.__dict__['x']", "values differ"),
        (_Frame([1]), _Frame([2]), "result", "equals() is False"),
        (len, abs, "result", "names differ"),
    ],
)
def test_differences_name_the_first_path_and_the_reason(expected, got, path, reason):
    found = first_difference(expected, got)
    assert found is not None
    assert found[0] == path
    assert reason in found[3]


def test_float_tolerances_are_configurable():
    assert first_difference(1.0, 1.001, rel_tol=1e-2) is None
    assert first_difference(0.0, 1e-7, abs_tol=1e-6) is None
    assert first_difference(0.0, 1e-7) is not None
    assert first_difference(np.array([1.0]), np.array([1.001]), rel_tol=1e-2) is None


# ------------------------------------------------------------------ compare in the sandbox

SORTER = "def f(xs):\n    xs.sort()\n    print(len(xs))\n    return [x / 10 for x in xs]\n"


def test_an_equivalent_candidate_is_equal_on_every_input():
    candidate = _fn("def f(xs):\n    xs[:] = sorted(xs)\n    print(len(xs))\n    return [x / 10 for x in xs]\n")
    report = compare(_fn(SORTER), candidate, [([3, 1, 2],), Call(args=([],))], backend=BACKEND)
    assert report.status == "ok" and report.equal
    assert report.feedback == "all 2 inputs behave like the original"


def test_each_check_is_reported_separately():
    candidate = _fn(
        "def f(xs):\n"
        "    if not xs:\n        raise KeyError('empty')\n"
        "    print(len(xs) + 1)\n"
        "    return [x / 10 for x in sorted(xs)] + [0]\n"
    )
    report = compare(_fn(SORTER), candidate, [([3, 1, 2],), ([],)], backend=BACKEND)
    assert not report.equal and report.n_failed == 2
    assert _checks(report) == [["return", "mutation", "stdout"], ["exception", "stdout"]]
    assert "KeyError: 'empty'" in report.outcomes[1].mismatches[0].got


def test_exception_messages_must_match_too():
    original = _fn("def f(x):\n    raise ValueError(f'bad {x}')\n")
    candidate = _fn("def f(x):\n    raise ValueError('bad')\n")
    report = compare(original, candidate, [(1,)], backend=BACKEND)
    assert _checks(report) == [["exception"]]
    assert report.outcomes[0].mismatches[0].expected == "ValueError: bad 1"


def test_returned_iterators_are_compared_by_their_items():
    original = _fn("def f(n):\n    return (i * i for i in range(n))\n")
    same = _fn("def f(n):\n    return map(lambda i: i * i, range(n))\n")
    as_list = _fn("def f(n):\n    return [i * i for i in range(n)]\n")
    assert compare(original, same, [(5,)], backend=BACKEND).equal
    report = compare(original, as_list, [(5,)], backend=BACKEND)
    assert "type iterator != list" in report.outcomes[0].mismatches[0].reason


def test_each_side_gets_its_own_fresh_copy_of_the_input():
    appender = _fn("def f(xs):\n    xs.append(1)\n    return len(xs)\n")
    report = compare(appender, appender, [([0],)], backend=BACKEND)
    assert report.equal  # the candidate did not see the original's append


def test_numpy_results_are_compared_by_value_inside_the_sandbox():
    original = _fn("import numpy as np\ndef f(n):\n    return np.arange(n) / 3\n")
    close = _fn("import numpy as np\ndef f(n):\n    return np.arange(n) * (1 / 3)\n")
    wrong = _fn("import numpy as np\ndef f(n):\n    return np.arange(n) / 3.0001\n")
    assert compare(original, close, [(50,)], float_rel_tol=1e-12, backend=BACKEND).equal
    report = compare(original, wrong, [(50,)], backend=BACKEND)
    assert report.outcomes[0].mismatches[0].path == "result[1]"


def test_scripts_are_compared_on_stdout_and_exit():
    original = Target("import sys\nn = int(sys.stdin.readline())\nprint(sum(range(n)))\n")
    candidate = Target(
        "import sys\nn = int(sys.stdin.readline())\nif n == 0:\n    sys.exit(1)\nprint(n * (n - 1) // 2 + (n == 5))\n"
    )
    report = compare(original, candidate, ["10\n", ScriptInput(stdin="5\n"), "0\n"], backend=BACKEND)
    assert _checks(report) == [[], ["stdout"], ["exception", "stdout"]]
    assert report.outcomes[1].mismatches[0].path == "stdout line 1"


def test_scripts_may_use_the_binary_buffers_of_stdin_and_stdout():
    text = Target("import sys\nnums = sys.stdin.read().split()\nprint(sum(map(int, nums)))\n")
    binary = Target("import sys\nnums = sys.stdin.buffer.read().split()\nsys.stdout.buffer.write(b'%d\\n' % sum(map(int, nums)))\n")
    assert compare(text, binary, ["1 2 3\n", "40 2\n"], backend=BACKEND).equal


def test_helper_files_travel_with_their_target():
    helper = {"helpers.py": "def double(x):\n    return 2 * x\n"}
    uses = "from helpers import double\ndef f(x):\n    return double(x)\n"
    original = Target(uses, "f", files=helper)
    assert compare(original, Target("def f(x):\n    return x + x\n", "f"), [(4,)], backend=BACKEND).equal
    clash = Target(uses, "f", files={"helpers.py": "def double(x):\n    return x\n"})
    with pytest.raises(ValueError, match="helpers.py"):
        compare(original, clash, [(4,)], backend=BACKEND)


def test_an_unusable_input_is_reported_without_stopping_the_others():
    report = compare(_fn(SORTER), _fn(SORTER), [b"not a pickle", ([2, 1],)], backend=BACKEND)
    assert _checks(report) == [["input"], []]


def test_a_candidate_that_does_not_load_is_an_error_report():
    report = compare(_fn(SORTER), _fn("def f(xs:\n"), [([1],)], backend=BACKEND)
    assert (report.status, report.failed_side, report.equal) == ("error", "candidate", False)
    assert "SyntaxError" in report.feedback


def test_a_hanging_candidate_times_out():
    from polca.sandbox.types import Limits

    hang = _fn("def f(xs):\n    while True:\n        pass\n")
    report = compare(_fn(SORTER), hang, [([1],)], limits=Limits(timeout_s=1.0), backend=BACKEND)
    assert report.status == "timeout" and not report.equal


def test_self_check_exposes_a_non_deterministic_original():
    flaky = _fn("import random\ndef f(x):\n    return x + random.random()\n")
    report = self_check(flaky, [(1,)], backend=BACKEND)
    assert not report.equal and _checks(report) == [["return"]]
    assert self_check(_fn(SORTER), [([2, 1],)], backend=BACKEND).equal


def test_pickled_inputs_are_accepted_as_they_come_from_tracing():
    payload = pickle.dumps(((), {"xs": [2, 1]}))
    report = compare(_fn(SORTER), _fn(SORTER), [payload], backend=BACKEND)
    assert report.equal


def test_compare_runs_under_the_default_backend():
    assert compare(_fn(SORTER), _fn(SORTER), [([2, 1],)]).equal


def test_feedback_is_short_and_names_expected_and_got():
    outcomes = [InputOutcome(i, (Mismatch("return", "result[0]", "1" * 100, "2" * 100, "values differ"),))
                for i in range(50)]
    text = feedback_text(outcomes, max_chars=300)
    assert len(text) <= 300 and text.startswith("50 of 50 inputs differ")
    assert "input 0, return at result[0]: expected 111" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"inputs": []}, ValueError, "inputs is empty"),
        ({"float_rel_tol": -1.0}, ValueError, "tolerances"),
        ({"max_items": 0}, ValueError, "max_items"),
        ({"candidate": Target("print(1)\n")}, ValueError, "both be functions or both be scripts"),
        ({"inputs": [(lambda: 0,)]}, TypeError, "cannot be pickled"),
    ],
)
def test_bad_arguments_raise_with_the_rule(kwargs, error, match):
    call = {"original": _fn(SORTER), "candidate": _fn(SORTER), "inputs": [([1],)], "backend": BACKEND, **kwargs}
    with pytest.raises(error, match=match):
        compare(**call)


def test_nan_handling_matches_math_isnan():
    assert math.isnan(float("nan"))
    assert first_difference([float("nan")], [0.0]) is not None
