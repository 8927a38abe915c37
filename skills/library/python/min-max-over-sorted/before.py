"""The spread of readings and the shortest label, found by sorting."""

import random

BENCH_SIZE = 20000


def make_input(size: int, rng: random.Random):
    readings = [rng.randrange(-10**6, 10**6) for _ in range(size)]
    labels = ["x" * rng.randrange(1, 9) + str(i) for i in range(size // 4)]
    return (readings, labels), {}


def solve(readings: list[int], labels: list[str]):
    if not readings:
        return None
    low = sorted(readings)[0]
    high = sorted(readings, reverse=True)[0]
    shortest = sorted(labels, key=len)[0] if labels else ""
    return high - low, shortest
