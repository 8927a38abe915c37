"""Sum of the numbers below n that are multiples of 3 or 5, by a loop."""

import random

BENCH_SIZE = 40000


def make_input(size: int, rng: random.Random):
    return (size + rng.randrange(3),), {}


def solve(n):
    total = 0
    for i in range(n):
        if i % 3 == 0 or i % 5 == 0:
            total += i
    return total
