"""Ways to climb n stairs taking 1, 2 or 3 steps at a time."""

from functools import lru_cache


@lru_cache(maxsize=None)
def ways(n: int) -> int:
    if n < 0:
        return 0
    if n == 0:
        return 1
    return ways(n - 1) + ways(n - 2) + ways(n - 3)
