"""Least total cost of joining ropes two at a time, picking the two shortest with min()."""

import random

BENCH_SIZE = 500


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(1, 1000) for _ in range(size)],), {}


def solve(sizes: list[int]):
    sizes = list(sizes)
    cost = 0
    while len(sizes) > 1:
        a = min(sizes)
        sizes.remove(a)
        b = min(sizes)
        sizes.remove(b)
        cost += a + b
        sizes.append(a + b)
    return cost
