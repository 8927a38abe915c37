"""The mechanics of a measurement: interleaving, calibration, raw samples, error statuses.

Speed itself is never asserted here (the machine is shared); the stability benchmark in
benchmarks/sandbox/ judges real verdicts.
"""

from __future__ import annotations

import pytest

from polca.sandbox import measure as measure_module
from polca.sandbox.measure import choose_clock, count_instructions, measure
from polca.sandbox.stats import paired_speedup, verdict
from polca.sandbox.target import Call, ScriptInput, Target
from polca.sandbox.types import Limits
from polca.sandbox.worker import passes_per_batch

BACKEND = "none"  # mechanics do not depend on isolation; one test below uses "auto"
QUICK = {"min_sample_s": 0.002, "rounds": 4, "warmup": 1, "backend": BACKEND}

SUM_SQUARES = "def f(n):\n    return sum(i * i for i in range(n))\n"
SUM_SQUARES_LIST = "def f(n):\n    return sum([i * i for i in range(n)])\n"


def _fn(source: str, qualname: str = "f") -> Target:
    return Target(source=source, qualname=qualname)


def test_rounds_are_interleaved_and_alternate_which_side_goes_first():
    result = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES_LIST), [(200,)], **QUICK)
    assert result.status == "ok", result.message
    assert result.order == ("a", "b", "b", "a", "a", "b", "b", "a")
    assert len(result.samples_a_s) == len(result.samples_b_s) == 4


def test_calibration_makes_one_sample_last_at_least_min_sample_s():
    result = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES), [(50,), (60,)], **{**QUICK, "min_sample_s": 0.02})
    assert result.status == "ok", result.message
    assert result.calibration_a_s >= 0.02 and result.calibration_b_s >= 0.02
    assert result.loops_a > 1 and result.loops_b > 1


def test_result_keeps_raw_samples_and_its_verdict_follows_from_them():
    result = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES_LIST), [(300,)], seed=3, **QUICK)
    estimate = paired_speedup(result.samples_a_s, result.samples_b_s, seed=3)
    assert (result.speedup, result.ci_low, result.ci_high) == (estimate.speedup, estimate.ci_low, estimate.ci_high)
    assert result.verdict == verdict(estimate)
    assert result.summary_a.n == 4 and result.summary_a.median_s > 0
    assert "speedup" in result.describe()


def test_both_clocks_are_kept_and_the_verdict_names_the_one_it_used():
    result = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES_LIST), [(300,)], **QUICK)
    # Which clock judged depends on the CPU shares seen on this busy machine (see
    # test_clock_choice_follows_the_cpu_shares); the samples must be that clock's.
    chosen = {"cpu": result.cpu_samples_a_s, "wall": result.wall_samples_a_s}[result.clock_used]
    assert result.samples_a_s == chosen
    assert len(result.wall_samples_a_s) == len(result.cpu_samples_b_s) == 4
    wall = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES_LIST), [(300,)], clock="wall", **QUICK)
    assert wall.clock_used == "wall" and wall.samples_b_s == wall.wall_samples_b_s


def test_a_candidate_that_sleeps_instead_of_computing_is_judged_on_wall_time():
    sleeper = _fn("import time\ndef f(n):\n    time.sleep(0.002)\n")
    result = measure(_fn(SUM_SQUARES), sleeper, [(3000,)], **QUICK)
    assert result.status == "ok", result.message
    assert result.clock_used == "wall"
    assert result.cpu_share_b < result.cpu_share_a and "wall time judges" in result.message


@pytest.mark.parametrize(
    ("preferred", "cpu_b", "expected"),
    [("cpu", 0.9, "cpu"), ("cpu", 0.5, "wall"), ("wall", 0.9, "wall"), ("cpu", 1.3, "cpu"), ("cpu", 1.4, "wall")],
)
def test_clock_choice_follows_the_cpu_shares(preferred, cpu_b, expected):
    wall = [1.0, 1.0, 1.0]
    clock, share_a, share_b = choose_clock(preferred, wall, wall, [1.0, 1.0, 1.0], [cpu_b] * 3)
    assert (clock, share_a, share_b) == (expected, 1.0, cpu_b)


def test_a_candidate_that_raises_gives_an_error_result_naming_it():
    result = measure(_fn(SUM_SQUARES), _fn("def f(n):\n    raise ValueError('no luck')\n"), [(10,)], **QUICK)
    assert (result.status, result.failed_side, result.verdict) == ("error", "candidate", None)
    assert "ValueError: no luck" in result.message
    assert result.samples_a_s == ()


def test_a_baseline_that_does_not_compile_is_reported_as_the_baseline():
    result = measure(_fn("def f(n:\n"), _fn(SUM_SQUARES), [(10,)], **QUICK)
    assert (result.status, result.failed_side) == ("error", "baseline")
    assert "SyntaxError" in result.message


def test_a_missing_function_is_an_error_not_an_exception():
    result = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES, "g"), [(10,)], **QUICK)
    assert (result.status, result.failed_side) == ("error", "candidate")
    assert "AttributeError" in result.message


def test_a_measurement_past_its_timeout_reports_timeout():
    hang = _fn("import time\ndef f(n):\n    time.sleep(30)\n")
    result = measure(_fn(SUM_SQUARES), hang, [(1,)], timeout_s=1.0, **QUICK)
    assert result.status == "timeout"
    assert "timeout" in result.describe()


def test_slow_code_gets_fewer_rounds_instead_of_a_timeout():
    slow = _fn("import time\ndef f(n):\n    time.sleep(0.05)\n")
    result = measure(slow, slow, [(1,)], min_sample_s=0.01, rounds=200, warmup=1, timeout_s=3.0, backend=BACKEND)
    assert result.status == "ok", result.message
    assert 3 <= len(result.samples_a_s) < 200


def test_each_call_gets_a_fresh_copy_of_a_mutated_input():
    pops = _fn("def f(xs):\n    return xs.pop()\n")
    fresh = measure(pops, pops, [Call(args=([1, 2],))], **QUICK)
    assert fresh.status == "ok", fresh.message
    reused = measure(pops, pops, [Call(args=([1, 2],))], fresh_inputs=False, **QUICK)
    assert reused.status == "error" and "IndexError" in reused.message


def test_one_copy_of_each_input_is_reused_only_when_no_side_changes_it():
    reads = _fn("def f(xs):\n    return max(xs)\n")
    kept = measure(reads, _fn("def f(xs):\n    return sorted(xs)[-1]\n"), [Call(args=([3, 1, 2],))], **QUICK)
    assert kept.status == "ok" and kept.inputs_reused
    sorts = _fn("def f(xs):\n    xs.sort()\n    return xs[-1]\n")
    assert not measure(reads, sorts, [Call(args=([3, 1, 2],))], **QUICK).inputs_reused
    nudges = _fn("def f(xs):\n    xs[0] += 1e-12\n    return xs[0]\n")  # within the oracle's tolerance, still a change
    assert not measure(nudges, nudges, [Call(args=([1.0],))], **QUICK).inputs_reused
    raises = _fn("def f(xs):\n    return xs[5]\n")
    assert measure(reads, raises, [Call(args=([1],))], **QUICK).status == "error"


def test_a_returned_iterator_is_consumed_inside_the_timed_call():
    lazy = _fn("def f(n):\n    yield 1\n    raise RuntimeError('consumed')\n")
    result = measure(_fn(SUM_SQUARES), lazy, [(10,)], **QUICK)
    assert result.status == "error" and "RuntimeError: consumed" in result.message


def test_printing_code_does_not_disturb_the_answer():
    noisy = _fn("def f(n):\n    for i in range(n):\n        print('@@polca-result@@ not the answer', i)\n")
    result = measure(noisy, noisy, [(20,)], **QUICK)
    assert result.status == "ok", result.message


def test_code_under_test_cannot_read_the_answer_nonce_from_disk():
    snoop = _fn("import os\ndef f(n):\n    if os.path.exists('polca_job.json'):\n        raise RuntimeError('job file visible')\n")
    result = measure(snoop, snoop, [(1,)], **QUICK)
    assert result.status == "ok", result.message


def test_scripts_are_timed_with_their_stdin():
    script = Target("import sys\nn = int(sys.stdin.readline())\nprint(sum(range(n)))\n")
    faster = Target("import sys\nn = int(sys.stdin.readline())\nprint(n * (n - 1) // 2)\n")
    result = measure(script, faster, ["1000\n", ScriptInput(stdin="50\n")], **QUICK)
    assert result.status == "ok", result.message
    assert len(result.samples_b_s) == 4


def test_a_script_exiting_with_an_error_status_is_an_error():
    script = Target("import sys\nsys.exit(2)\n")
    result = measure(Target("pass\n"), script, [""], **QUICK)
    assert (result.status, result.failed_side) == ("error", "candidate")
    assert "sys.exit(2)" in result.message


def test_measurement_runs_under_the_default_backend():
    result = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES_LIST), [(100,)], min_sample_s=0.002, rounds=3, warmup=0)
    assert result.status == "ok", result.message


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"inputs": []}, ValueError, "inputs is empty"),
        ({"rounds": 2}, ValueError, "rounds=2"),
        ({"min_sample_s": 0.0}, ValueError, "min_sample_s"),
        ({"warmup": -1}, ValueError, "warmup"),
        ({"clock": "tsc"}, ValueError, "clock"),
        ({"candidate": Target("print(1)\n")}, ValueError, "both be functions or both be scripts"),
        ({"candidate": "def f(n): pass"}, TypeError, "must be a Target"),
        ({"inputs": [[1, 2]]}, TypeError, "Call"),
    ],
)
def test_bad_arguments_raise_with_the_rule(kwargs, error, match):
    call = {"baseline": _fn(SUM_SQUARES), "candidate": _fn(SUM_SQUARES), "inputs": [(1,)], **QUICK, **kwargs}
    with pytest.raises(error, match=match):
        measure(**call)


def test_target_rejects_a_bad_qualname():
    with pytest.raises(ValueError, match="Class.method"):
        Target(source="", qualname="f()")


def test_instruction_counting_without_a_counter_says_so(monkeypatch):
    monkeypatch.setattr(measure_module.shutil, "which", lambda name: None)
    counts = count_instructions(_fn(SUM_SQUARES), _fn(SUM_SQUARES), [(10,)], backend=BACKEND)
    assert counts.status == "unavailable"
    assert "perf: not installed" in counts.message and "callgrind: not installed" in counts.message


def test_perf_either_counts_or_reports_why_it_cannot():
    counts = count_instructions(_fn(SUM_SQUARES), _fn(SUM_SQUARES), [(10,)], tool="perf", backend=BACKEND)
    assert counts.status in ("ok", "unavailable")
    assert counts.message.startswith("perf")


@pytest.mark.slow
def test_callgrind_counts_cancel_start_up_and_see_the_cheaper_side():
    counts = count_instructions(
        _fn(SUM_SQUARES), _fn("def f(n):\n    return (n - 1) * n * (2 * n - 1) // 6\n"),
        [(2000,)], tool="callgrind", passes=2, backend=BACKEND,
    )
    assert counts.status == "ok", counts.message
    assert counts.instructions_b < counts.instructions_a and counts.ratio > 10


@pytest.mark.parametrize(
    ("seconds", "shown"), [(2.5, "2.5 s"), (0.011184, "11.18 ms"), (0.000158, "158 µs"), (1.262e-6, "1.262 µs")]
)
def test_durations_are_shown_in_a_unit_that_keeps_their_digits(seconds, shown):
    from polca.sandbox.measure import format_duration

    assert format_duration(seconds) == shown


def _answer(cpu_per_pass_s: float, loops: int, step_s: float) -> dict:
    return {"cpu_samples_a_s": [cpu_per_pass_s] * 3, "cpu_samples_b_s": [cpu_per_pass_s] * 3,
            "loops_a": loops, "loops_b": loops, "cpu_clock_step_s": step_s}


def test_a_cpu_clock_ticking_in_milliseconds_cannot_judge_millisecond_samples():
    from polca.sandbox.measure import cpu_clock_too_coarse

    assert cpu_clock_too_coarse(_answer(1e-4, 20, step_s=1e-3))  # 2 ms samples, 1 ms ticks
    assert not cpu_clock_too_coarse(_answer(1e-4, 500, step_s=1e-3))  # 50 ms samples
    assert not cpu_clock_too_coarse(_answer(1e-4, 20, step_s=1e-9))  # a nanosecond clock


def test_short_samples_in_the_sandbox_are_judged_on_a_clock_that_can_see_them():
    result = measure(_fn(SUM_SQUARES), _fn(SUM_SQUARES), [(2000,)], backend="auto",
                     min_sample_s=0.002, rounds=3, warmup=0)
    assert result.status == "ok"
    assert all(s > 0 for s in result.samples_a_s + result.samples_b_s)


SLOW_LOAD = "TABLE = [i * i for i in range(200000)]\n\ndef f(x):\n    return TABLE[x % 1000]\n"
SLOW_LOAD_CACHED = ("import functools\n\nTABLE = [i * i for i in range(200000)]\n\n"
                    "@functools.lru_cache(maxsize=None)\ndef f(x):\n    return TABLE[x % 1000]\n")


def test_cold_timing_of_fast_calls_in_a_slow_loading_module_finishes():
    # each cold call reloads the module (~10 ms); a loop count calibrated on the calls alone
    # would reload it hundreds of thousands of times and run into the timeout
    result = measure(_fn(SLOW_LOAD), _fn(SLOW_LOAD_CACHED), [(3,), (7,)], backend=BACKEND, cold=True,
                     rounds=5, warmup=1, min_sample_s=0.04, timeout_s=10)
    assert result.status == "ok", result.message
    assert result.loops_a == result.loops_b == 1
    assert len(result.samples_a_s) == len(result.samples_b_s) == 5


STOPS = '''
def f(n):
    if n < 0:
        raise ValueError("negative")
    try:
        total = 0
        for i in range(n):
            total += i
        return total
    except Exception:  # a BaseException stops the call: code that catches Exception keeps no hold
        return -1


def alloc(n):
    return len([0] * n)
'''


def test_calls_past_their_cpu_limit_are_stopped_and_the_rest_answer_in_the_same_run():
    from polca.sandbox.measure import time_calls
    from polca.sandbox.types import Limits

    times = time_calls(_fn(STOPS), [Call((10,)), Call((10**18,)), Call((-1,)), Call((5,))], call_limit_s=0.1,
                       backend="auto", limits=Limits(timeout_s=30))
    assert times.status == "ok"
    assert [(c.status, c.error) for c in times.calls] == [
        ("returned", None), ("over_limit", None), ("raised", "ValueError"), ("returned", None)]
    allocs = time_calls(_fn(STOPS, "alloc"), [Call((2**40,)), Call((3,))], call_limit_s=0.1, backend="auto",
                        limits=Limits(timeout_s=30, memory_mb=1024))
    # an allocation far past the memory limit raises in its call instead of ending the run
    assert [(c.status, c.error) for c in allocs.calls] == [("exhausted", "MemoryError"), ("returned", None)]


SCAN_ALL = "def f(xs):\n    found = False\n    for x in xs:\n        if x < 0:\n            found = True\n    return found\n"
STOP_EARLY = "def f(xs):\n    return any(x < 0 for x in xs)\n"


def test_a_far_faster_candidate_on_large_inputs_is_timed_within_the_memory_limit():
    # thousands of passes per sample: the fresh copies are prepared in batches that fit
    big = [-1] + list(range(200_000))
    result = measure(_fn(SCAN_ALL), _fn(STOP_EARLY), [(big,), (big[:100_000],)], backend="auto",
                     min_sample_s=0.02, rounds=3, warmup=0, limits=Limits(timeout_s=120.0, memory_mb=1024))
    assert result.status == "ok", result.message
    assert result.inputs_reused  # neither side changes the list: no fresh copy per call


def test_passes_per_batch_bounds_prepared_calls_and_bytes():
    assert passes_per_batch([b"x" * 10] * 4, max_calls=100, max_bytes=10**9) == 25
    assert passes_per_batch([b"x" * 1000] * 2, max_calls=10**6, max_bytes=20_000) == 10
    assert passes_per_batch([b"x" * 10**6], max_calls=100, max_bytes=1000) == 1
