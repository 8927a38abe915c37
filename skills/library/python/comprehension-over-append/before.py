"""Parse whitespace-separated integers, building the list with an append loop."""

import random

BENCH_SIZE = 60000


def make_input(size: int, rng: random.Random):
    return ([str(rng.randrange(-(10**6), 10**6)) for _ in range(size)],), {}


def solve(tokens):
    out = []
    for tok in tokens:
        out.append(int(tok))
    return out
