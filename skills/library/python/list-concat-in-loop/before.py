"""Collect the even values and, for each multiple of three, its neighbours, by concatenation."""

import random

BENCH_SIZE = 4000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(1000) for _ in range(size)],), {}


def solve(values):
    picked = []
    for v in values:
        if v % 2 == 0:
            picked = picked + [v]
        if v % 3 == 0:
            picked = picked + [v - 1, v + 1]
    return picked
