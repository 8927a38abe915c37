"""Flatten a list of rows into one list, with nested loops."""

import random

BENCH_SIZE = 10000


def make_input(size: int, rng: random.Random):
    return ([[rng.randrange(1000) for _ in range(rng.randrange(40))] for _ in range(size)],), {}


def solve(rows):
    out = []
    for row in rows:
        for x in row:
            out.append(x)
    return out
