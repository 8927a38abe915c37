"""Keep the readings above a threshold, building the list with an append loop."""

import random

BENCH_SIZE = 100000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(-1000, 1000) for _ in range(size)], rng.randrange(-100, 100)), {}


def solve(readings, threshold):
    out = []
    for x in readings:
        if x > threshold:
            out.append(x)
    return out
