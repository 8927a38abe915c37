"""Sums of many sub-ranges of one list of integers, summing each slice."""

import random

BENCH_SIZE = 700


def make_input(size: int, rng: random.Random):
    values = [rng.randrange(-1000, 1000) for _ in range(size)]
    queries = []
    for _ in range(size):
        lo, hi = rng.randrange(size + 1), rng.randrange(size + 1)
        queries.append((min(lo, hi), max(lo, hi)))
    return (values, queries), {}


def solve(values: list[int], queries):
    return [sum(values[lo:hi]) for lo, hi in queries]
