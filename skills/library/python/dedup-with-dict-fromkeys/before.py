"""Unique ids in order of first appearance, de-duplicated against the output list."""

import random

BENCH_SIZE = 2000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(max(1, size // 5)) for _ in range(size)],), {}


def solve(ids: list[int]):
    out = []
    for x in ids:
        if x not in out:
            out.append(x)
    return out
