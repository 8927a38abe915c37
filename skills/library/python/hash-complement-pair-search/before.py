"""Number of index pairs i < j with xs[i] + xs[j] == target, checking every pair."""

import random

BENCH_SIZE = 500


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(-50, 50) for _ in range(size)], rng.randrange(-20, 20)), {}


def solve(xs: list[int], target: int):
    count = 0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[i] + xs[j] == target:
                count += 1
    return count
