"""Sum of the multiples of 3 below n and sum of the squares below n, by loops."""

import random

BENCH_SIZE = 40000


def make_input(size: int, rng: random.Random):
    return (size + rng.randrange(3),), {}


def solve(n: int):
    threes = 0
    for i in range(n):
        if i % 3 == 0:
            threes += i
    squares = sum(j * j for j in range(n))
    return threes, squares
