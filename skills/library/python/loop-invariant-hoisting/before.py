"""Readings above the mean, recomputing the mean for every reading."""

import random

BENCH_SIZE = 1000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(10_000) for _ in range(size + 1)],), {}


def solve(values: list[int]):
    return [x for x in values if x > sum(values) / len(values)]
