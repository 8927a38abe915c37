"""Strip the padding of every line, building the list with an append loop."""

import random

BENCH_SIZE = 60000


def make_input(size: int, rng: random.Random):
    return ([" " * rng.randrange(3) + str(rng.randrange(10**6)) + " \t" * rng.randrange(2) for _ in range(size)],), {}


def solve(lines):
    out = []
    for line in lines:
        out.append(line.strip())
    return out
