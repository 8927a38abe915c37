"""sliding-window-sum, loop form: ``for i in range(len(xs) - k + 1)`` re-summing each
window becomes a loop over the running window sums, moved for int lists only."""

from __future__ import annotations

import pytest

from tests.fixtures.rules import apply as _apply
from tests.fixtures.rules import rule_output_speed
from tests.fixtures.rules import same_behaviour as _same_behaviour
from tests.fixtures.rules import unchanged as _unchanged

RULE = "sliding-window-sum"
TYPES = {"moving_average": {"values": "list[int]", "window": "int"}}
INPUTS = [([], 1), ([4], 1), ([1, 2, 3, 4, 5], 2), ([3, -1, 4, 1, -5, 9], 3), ([1, 2], 5), ([1, 2, 3], 0)]

CHUNKED = """
    def moving_average(values, window):
        averages = []
        for i in range(len(values) - window + 1):
            chunk = values[i:i + window]
            averages.append(sum(chunk) / window)
        return averages
    """


def test_loop_with_a_chunk_variable_becomes_a_running_sum():
    code = _same_behaviour(RULE, CHUNKED, "moving_average", INPUTS, TYPES)
    assert "for i, window_sum in enumerate(_window_sums(values, window)):" in code
    assert "chunk" not in code


def test_loop_summing_the_slice_inline_keeps_the_index_usable():
    source = """
        def moving_average(values, window):
            out = []
            for i in range(len(values) - window + 1):
                if sum(values[i:i + window]) > 2:
                    out.append((i, sum(values[i:i + window][:1])))
            return out, i
        """
    _same_behaviour(RULE, source, "moving_average", [a for a in INPUTS if len(a[0]) - a[1] + 1 > 0], TYPES)


def test_floats_whose_running_sum_rounds_differently_are_summed_slice_by_slice():
    # numbers observed as floats (ints beside floats read list[float]) take the helper, which
    # moves the window over ints only: [1e16, 1.0, 1.0] still gives 2.0, not 0.0
    floats = {"moving_average": {"values": "list[float]", "window": "int"}}
    mixed = [([1e16, 1.0, 1.0], 2), ([0.1, 0.2, 0.3, 0.4], 3), ([1, 2.5, 3], 2), ([5, -3, 8, 1], 2)]
    _same_behaviour(RULE, CHUNKED, "moving_average", INPUTS + mixed, floats)


def test_the_rewrite_sums_each_slice_when_a_caller_passes_what_the_observed_type_did_not_show():
    # the observed list[int] is what the oracle's inputs held; a caller's floats (or bools,
    # Fractions) must still get the original's sums, not a running sum's rounding
    floats = [([1e16, 1.0, 1.0], 2), ([0.1, 0.2, 0.3, 0.4], 3), ([True, 2, 3], 2), ([1, 2.5, 3], 2)]
    _same_behaviour(RULE, CHUNKED, "moving_average", INPUTS + floats, TYPES)


def test_leaves_a_list_changed_in_the_loop():
    _unchanged(RULE, CHUNKED.replace("averages.append(sum(chunk) / window)",
                                     "averages.append(sum(chunk) / window)\n            values.append(1)"), TYPES)


def test_leaves_a_chunk_read_twice_or_after_the_loop():
    _unchanged(RULE, CHUNKED.replace("sum(chunk) / window", "sum(chunk) / len(chunk)"), TYPES)
    _unchanged(RULE, CHUNKED.replace("return averages", "return averages, chunk"), TYPES)


def test_leaves_a_loop_rebinding_the_index_or_the_width():
    _unchanged(RULE, CHUNKED.replace("chunk = values[i:i + window]", "chunk = values[i:i + window]\n            window = 2"),
               TYPES)
    _unchanged(RULE, """
        def moving_average(values, window):
            out = []
            for i in range(len(values) - window + 1):
                i = 0
                out.append(sum(values[i:i + window]))
            return out
        """, TYPES)


def test_rewrite_is_stable():
    once = _apply(RULE, CHUNKED, TYPES).code
    assert _apply(RULE, once, TYPES).code == once


@pytest.mark.slow
def test_running_sum_loop_is_measurably_faster(tmp_path):
    before = """
        import random

        BENCH_SIZE = 20000


        def make_input(size, rng):
            return ([rng.randrange(1000) for _ in range(size)], 50), {}


        def solve(values: list[int], window: int):
            averages = []
            for i in range(len(values) - window + 1):
                chunk = values[i:i + window]
                averages.append(sum(chunk) / window)
            return averages
        """
    result = rule_output_speed(RULE, before, tmp_path)
    assert result.status == "ok", result.describe()
    assert result.speedup >= 1.10 and result.verdict == "faster", result.describe()
