"""Largest sum of k consecutive readings, re-summing every window."""

import random

BENCH_SIZE = 1500


def make_input(size: int, rng: random.Random):
    xs = [rng.randrange(-100, 100) for _ in range(size + 1)]
    return (xs, max(1, len(xs) // 10)), {}


def solve(xs: list[int], k: int):
    return max(sum(xs[i : i + k]) for i in range(len(xs) - k + 1))
