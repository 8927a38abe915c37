"""Count the ways to climb n stairs taking 1, 2 or 3 steps, by plain recursion."""

import random

BENCH_SIZE = 18


def make_input(size: int, rng: random.Random):
    return (size + rng.randrange(2),), {}


def ways(n: int) -> int:
    if n < 0:
        return 0
    if n == 0:
        return 1
    return ways(n - 1) + ways(n - 2) + ways(n - 3)


def solve(n):
    return ways(n)
