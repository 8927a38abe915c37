"""Best-so-far and worst-so-far of a stream of readings, rescanning the history each time."""

import random

BENCH_SIZE = 3000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(-10**6, 10**6) for _ in range(size)],), {}


def solve(readings: list[int]):
    history = []
    spans = []
    for r in readings:
        history.append(r)
        # the spread of everything seen so far
        spans.append(max(history) - min(history))
    return spans, len(history)
