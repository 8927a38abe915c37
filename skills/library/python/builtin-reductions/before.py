"""Total and peak of the readings, and whether any is negative, each by a hand-written loop."""

import random

BENCH_SIZE = 20_000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(-10, 10_000) for _ in range(size)],), {}


def solve(readings: list[int]):
    total = 0
    for x in readings:
        total += x
    peak = None
    for x in readings:
        if peak is None or x > peak:
            peak = x
    negative = False
    for x in readings:
        if x < 0:
            negative = True
            break
    return total, peak, negative
