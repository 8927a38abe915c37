"""Whether any reading exceeds the limit, scanning every reading."""

import random

BENCH_SIZE = 200000


def make_input(size: int, rng: random.Random):
    values = [rng.randrange(100) for _ in range(size)]
    # Large inputs always hold an early outlier (the case the skill targets); small ones
    # sometimes hold none, so both answers are exercised.
    if size >= 50 or (size and rng.random() < 0.5):
        values[rng.randrange(max(1, size // 5))] = 1000
    return (values, 500), {}


def solve(values: list[int], limit: int):
    exceeded = False
    for v in values:
        if v > limit:
            exceeded = True
    return exceeded
