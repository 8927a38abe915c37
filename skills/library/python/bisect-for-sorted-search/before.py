"""For each query, how many sorted readings lie strictly below it, by scanning."""

import random

BENCH_SIZE = 400


def make_input(size: int, rng: random.Random):
    readings = sorted(rng.randrange(10**6) for _ in range(size))
    queries = [rng.randrange(10**6) for _ in range(size)]
    return (readings, queries), {}


def solve(readings, queries):
    out = []
    for q in queries:
        count = 0
        for x in readings:
            if x >= q:
                break
            count += 1
        out.append(count)
    return out
