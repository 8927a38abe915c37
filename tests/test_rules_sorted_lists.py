"""sort-once-outside-loop, second rewrite: a list re-sorted after every append becomes
``bisect.insort`` (ascending) or the rule's ``_insort_descending`` helper; each near-miss
is left alone."""

from __future__ import annotations

import random
import textwrap

import pytest

from tests.fixtures.rules import rule_output_speed
from tests.fixtures.rules import same_behaviour as _same_behaviour
from tests.fixtures.rules import unchanged as _unchanged

RULE = "sort-once-outside-loop"
_RNG = random.Random(3)
SCORES = [([],), ([5],), ([3, 1, 3, 2, 2, 9],), ([_RNG.randrange(20) for _ in range(200)],)]

PODIUM = """
    def podium_history(scores: list[int]):
        board = []
        snapshots = []
        for s in scores:
            board.append(s)
            board.sort(reverse=True)
            snapshots.append(tuple(board[:3]))
        return snapshots
    """


def test_descending_resort_after_append_becomes_an_insertion():
    code = _same_behaviour(RULE, PODIUM, "podium_history", SCORES)
    assert "_insort_descending(board, s)" in code and "board.sort(" not in code


def test_ascending_resort_uses_bisect_insort_and_works_on_observed_strs():
    source = """
        def medians(words):
            seen = []
            out = []
            for w in words:
                seen.append(w)
                seen.sort()
                out.append(seen[len(seen) // 2])
            return out, seen
        """
    code = _same_behaviour(RULE, source, "medians", [([],), (["b", "a", "c", "a"],)],
                           {"medians": {"words": "list[str]"}})
    assert "import bisect" in code and "bisect.insort(seen, w)" in code


def test_leaves_floats_whose_order_is_not_total():
    _unchanged(RULE, PODIUM.replace("list[int]", "list[float]"))


def test_leaves_elements_of_unknown_type():
    _unchanged(RULE, PODIUM.replace(": list[int]", ""))


def test_leaves_a_list_changed_elsewhere():
    _unchanged(RULE, """
        def f(scores: list[int]):
            board = []
            out = []
            for s in scores:
                board.append(s)
                board.sort()
                board[0] += 1
                out.append(board[-1])
            return out
        """)
    _unchanged(RULE, """
        def f(scores: list[int]):
            board = []
            out = []
            for s in scores:
                board.append(s)
                board.sort()
                out.append(board)
            return out
        """)


def test_leaves_a_list_grown_while_it_is_iterated():
    _unchanged(RULE, """
        def f(seed: int):
            board = []
            board.append(seed)
            for s in board:
                if s > 0:
                    board.append(s - 1)
                    board.sort()
            return board
        """)


def test_leaves_a_list_that_did_not_start_empty():
    _unchanged(RULE, """
        def f(scores: list[int]):
            board = [5, 1]
            for s in scores:
                board.append(s)
                board.sort()
            return board
        """)


def test_leaves_a_read_between_the_append_and_the_sort():
    _unchanged(RULE, """
        def f(scores: list[int]):
            board = []
            last = []
            for s in scores:
                board.append(s)
                last.append(board[-1])
                board.sort()
            return board, last
        """)


@pytest.mark.slow
def test_insertion_is_measurably_faster_than_resorting(tmp_path):
    before = "import random\n\nBENCH_SIZE = 4000\n\n\ndef make_input(size, rng):\n" \
             "    return ([rng.randrange(10**6) for _ in range(size)],), {}\n" \
             + textwrap.dedent(PODIUM).replace("podium_history", "solve")
    result = rule_output_speed(RULE, before, tmp_path)
    assert result.status == "ok", result.describe()
    assert result.speedup >= 1.10 and result.verdict == "faster", result.describe()
