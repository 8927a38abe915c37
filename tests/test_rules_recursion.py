"""memoize-pure-recursion: the rewrite is exact and never fails at a depth where the original ran."""

from __future__ import annotations

import sys
import textwrap

from polca.skills.registry import build_registry
from polca.skills.rules import apply_rule

RULE = build_registry().get("memoize-pure-recursion")


def _rewrite(source: str) -> str:
    outcome = apply_rule(RULE, textwrap.dedent(source))
    assert outcome.error == ""
    return outcome.code


def _load(code: str) -> dict:
    namespace: dict = {}
    exec(code, namespace)
    return namespace


def test_linear_recurrences_become_loops_that_run_past_the_recursion_limit():
    source = """
        def steps(n: int) -> int:
            '''Ways to climb n stairs by 1 or 3.'''
            if n < 0:
                return 0
            if n == 0:
                return 1
            return steps(n - 1) + steps(n - 3)
        """
    code = _rewrite(source)
    assert "functools" not in code and "while _steps_todo:" in code
    assert "'''Ways to climb n stairs by 1 or 3.'''" in code
    plain, loop = _load(textwrap.dedent(source))["steps"], _load(code)["steps"]
    for n in (-2, 0, 1, 2, 5, 17, 25):
        assert loop(n) == plain(n)
    depth = sys.getrecursionlimit() * 3
    assert loop(depth) == loop(depth - 1) + loop(depth - 3)


def test_conditional_expression_bases_and_min_max_arithmetic_are_kept_in_order():
    source = """
        def best(n: int) -> int:
            return n * 2 if n <= 1 else max(best(n - 1) - 1, best(n - 2) + n % 3)
        """
    code = _rewrite(source)
    plain, loop = _load(textwrap.dedent(source))["best"], _load(code)["best"]
    assert [loop(n) for n in range(-3, 20)] == [plain(n) for n in range(-3, 20)]
    assert isinstance(loop(5000), int)


def test_binary_splitting_is_cached_because_its_depth_is_logarithmic():
    code = _rewrite(
        """
        def parts(n: int) -> int:
            if n < 2:
                return 1
            return parts(n // 2) + parts(n // 3)
        """
    )
    assert "@functools.lru_cache(maxsize=None, typed=True)" in code and "import functools" in code
    assert _load(code)["parts"](10**30) > 0


def test_the_cache_keeps_equal_arguments_of_different_types_apart():
    """``functools.cache`` keys 1 and True alike: f(1, 1) would answer with f(1, True)'s True."""
    source = """
        def pick(n: int, b: int) -> int:
            if n < 2:
                return b
            return pick(n // 2, b) + pick(n // 3, b)
        """
    code = _rewrite(source)
    assert "typed=True" in code
    pick = _load(code)["pick"]
    assert pick(1, True) is True and type(pick(1, 1)) is int
    # even a typed cache keys 0.0 and -0.0 alike: float parameters keep the plain recursion
    floats = source.replace("b: int", "b: float")
    assert _rewrite(floats) == textwrap.dedent(floats)


def test_linear_recursions_that_need_the_stack_are_not_cached():
    for source in (
        # two parameters, linear depth: a cache would halve the reachable depth
        """
        def choose(n: int, k: int) -> int:
            if k == 0 or k == n:
                return 1
            return choose(n - 1, k - 1) + choose(n - 1, k)
        """,
        # no base case stops every chain (odd n recurse forever): must keep raising
        """
        def even(n: int) -> int:
            if n == 0:
                return 1
            return even(n - 2) + even(n - 4)
        """,
        # division by an argument-dependent value could raise in another order
        """
        def ratio(n: int) -> int:
            if n < 1:
                return 1
            return ratio(n - 1) + ratio(n - 2) // n
        """,
        # a float parameter: arithmetic could overflow or lose exactness
        """
        def drift(x: float) -> float:
            if x < 1:
                return x
            return drift(x - 1) + drift(x - 2)
        """,
    ):
        assert _rewrite(source) == textwrap.dedent(source)
