"""The ten highest and the three lowest scores of many, by sorting all of them."""

import random

BENCH_SIZE = 50000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(10**6) for _ in range(size)],), {}


def solve(scores: list[int]):
    best = sorted(scores, reverse=True)[:10]
    worst = sorted(scores)[:3]
    return best, worst
