"""Modular powers b**e mod m for many (b, e) pairs, by repeated multiplication."""

import random

BENCH_SIZE = 100


def make_input(size: int, rng: random.Random):
    pairs = [(rng.randrange(2, 10**9), rng.randrange(size * 10 + 1)) for _ in range(size)]
    return (pairs, 1_000_000_007), {}


def solve(pairs: list[tuple[int, int]], mod: int):
    out = []
    for b, e in pairs:
        result = 1 % mod
        for _ in range(e):
            result = result * b % mod
        out.append(result)
    return out
