"""Input capture by tracing: what is recorded, what is skipped and counted, and replay."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from polca.sandbox.difftest import compare
from polca.sandbox.target import Target
from polca.sandbox.trace import capture_calls, capture_calls_from_command

BACKEND = "none"

PROGRAM = """
import sys

class Grid:
    def __init__(self, n):
        self.n = n

    def step(self, k):
        return self.n + k

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def numbers(n):
    for i in range(n):
        yield i

def apply(fn, x):
    return fn(x)

class Units:
    scale = 10

    @classmethod
    def convert(cls, x):
        return x * cls.scale

    @staticmethod
    def half(x):
        return x / 2

def flexible(a, *rest, b=2, **more):
    return a

def consume(xs):
    xs.clear()

for token in sys.stdin.read().split():
    print(fib(int(token)))
Grid(3).step(4)
print(list(numbers(3)))
apply(lambda v: v, 1)
apply(abs, -1)
flexible(1, 2, 3, b=4, c=5)
consume([7, 8])
Units.convert(3)
Units.half(5)
"""
LIBRARY = PROGRAM.split("for token")[0]


def _calls(captured, function):
    return [pickle.loads(p) for p in captured.payloads(function)]


def test_outermost_calls_are_recorded_with_their_arguments():
    captured = capture_calls(PROGRAM, ["fib", "flexible"], stdin="5 6", backend=BACKEND)
    assert captured.status == "ok", captured.message
    assert _calls(captured, "fib") == [((5,), {}), ((6,), {})]
    assert _calls(captured, "flexible") == [((1, 2, 3), {"b": 4, "c": 5})]
    assert captured.counts["fib"].seen == 2


def test_recursive_inner_calls_are_kept_when_asked():
    captured = capture_calls(PROGRAM, ["fib"], stdin="3", outermost_only=False, backend=BACKEND)
    assert [args[0] for args, _ in _calls(captured, "fib")] == [3, 2, 1, 0, 1]


def test_arguments_are_snapshot_before_the_body_runs():
    captured = capture_calls(PROGRAM, ["consume"], backend=BACKEND)
    assert _calls(captured, "consume") == [(([7, 8],), {})]


def test_a_resuming_generator_is_not_a_new_call():
    captured = capture_calls(PROGRAM, ["numbers"], backend=BACKEND)
    assert captured.counts["numbers"].captured == 1


def test_caps_and_unpicklable_arguments_are_counted():
    captured = capture_calls(PROGRAM, ["fib", "apply"], stdin="1 2 3 4", max_calls_per_function=3, backend=BACKEND)
    assert captured.counts["fib"].captured == 3 and captured.counts["fib"].over_cap == 1
    assert captured.counts["apply"].unpicklable == 1 and captured.counts["apply"].captured == 1


def test_the_byte_budget_skips_calls_that_do_not_fit():
    source = "def f(blob):\n    return len(blob)\nf('x' * 100)\nf('y' * 5000)\nf('z')\n"
    captured = capture_calls(source, ["f"], max_bytes=1000, backend=BACKEND)
    assert captured.counts["f"].over_bytes == 1 and captured.counts["f"].captured == 2
    assert captured.total_bytes <= 1000


def test_module_qualified_names_filter_by_module():
    captured = capture_calls(PROGRAM, ["__main__:fib", "elsewhere:fib"], stdin="2", backend=BACKEND)
    assert captured.counts["__main__:fib"].captured == 1
    assert captured.counts["elsewhere:fib"].seen == 0


def test_a_failing_program_keeps_the_calls_made_before_it_failed():
    source = "import sys\ndef f(x):\n    return x\nf(1)\nsys.argv[1]\nraise RuntimeError('late')\n"
    captured = capture_calls(source, ["f"], args=["given"], backend=BACKEND)
    assert captured.status == "error" and "RuntimeError: late" in captured.message
    assert _calls(captured, "f") == [((1,), {})]


def test_a_failing_test_command_reports_the_tail_of_its_output():
    files = {"test_fails.py": "def test_fails():\n    assert 1 == 2, 'one is not two'\n"}
    command = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_fails.py")
    captured = capture_calls_from_command(command, ["test_fails"], files=files, backend=BACKEND)
    assert captured.status == "error"
    assert "exited with status" in captured.message and "1 failed" in captured.message


def test_scripts_can_be_given_as_a_path(tmp_path: Path):
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    captured = capture_calls(script, ["fib"], stdin="4", backend=BACKEND)
    assert _calls(captured, "fib") == [((4,), {})]


def test_captured_method_calls_replay_in_a_differential_check():
    captured = capture_calls(PROGRAM, ["Grid.step"], backend=BACKEND)
    original = Target(LIBRARY, "Grid.step", module_name="prog")
    broken = Target(LIBRARY.replace("self.n + k", "self.n - k"), "Grid.step", module_name="prog")
    assert compare(original, original, captured.payloads("Grid.step"), backend=BACKEND).equal
    report = compare(original, broken, captured.payloads("Grid.step"), backend=BACKEND)
    assert report.outcomes[0].mismatches[0].expected == "7"


def test_class_and_static_methods_replay_with_the_arguments_their_frames_held():
    captured = capture_calls(PROGRAM, ["Units.convert", "Units.half"], backend=BACKEND)
    assert captured.counts["Units.convert"].captured == captured.counts["Units.half"].captured == 1
    doubled = LIBRARY.replace("x * cls.scale", "x * cls.scale * 2").replace("x / 2", "x / 4")
    for name in ("Units.convert", "Units.half"):
        assert compare(Target(LIBRARY, name), Target(LIBRARY, name), captured.payloads(name), backend=BACKEND).equal
        report = compare(Target(LIBRARY, name), Target(doubled, name), captured.payloads(name), backend=BACKEND)
        assert [m.check for m in report.outcomes[0].mismatches] == ["return"]


def test_a_test_command_is_traced_in_the_worker():
    files = {
        "mymod.py": "def add(a, b):\n    return a + b\n",
        "test_mymod.py": "from mymod import add\n\ndef test_add():\n    assert add(1, 2) == 3\n    assert add([1], [2]) == [1, 2]\n",
    }
    command = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_mymod.py")
    captured = capture_calls_from_command(command, ["mymod:add"], files=files, backend=BACKEND)
    assert captured.status == "ok", captured.message
    assert _calls(captured, "mymod:add") == [((1, 2), {}), (([1], [2]), {})]


def test_tracing_runs_under_the_default_backend():
    captured = capture_calls(PROGRAM, ["fib"], stdin="2")
    assert captured.status == "ok" and len(captured.calls) == 1


@pytest.mark.parametrize(
    ("functions", "match"),
    [([], "non-empty"), ("fib", "non-empty"), (["fib()"], "qualified name")],
)
def test_bad_function_names_raise(functions, match):
    with pytest.raises(ValueError, match=match):
        capture_calls(PROGRAM, functions, backend=BACKEND)


@pytest.mark.parametrize(
    "command",
    [("pytest", "tests"), ("python",), ("python", "-c", "pass"), ("python", "-m")],
)
def test_commands_that_cannot_be_traced_raise(command):
    with pytest.raises(ValueError, match="command"):
        capture_calls_from_command(command, ["f"], backend=BACKEND)


def test_a_missing_script_path_raises():
    with pytest.raises(ValueError, match="does not exist"):
        capture_calls(Path("/nonexistent/prog.py"), ["f"], backend=BACKEND)
