"""For each query, how many readings lie strictly below it, by scanning the sorted readings."""

import random

BENCH_SIZE = 400


def make_input(size: int, rng: random.Random):
    readings = [rng.randrange(10**6) for _ in range(size)]
    queries = [rng.randrange(10**6) for _ in range(size)]
    return (readings, queries), {}


def solve(readings: list[int], queries: list[int]):
    ordered = sorted(readings)
    out = []
    for q in queries:
        count = 0
        for x in ordered:
            if x >= q:
                break
            count += 1
        out.append(count)
    return out
