"""How many of the given numbers are prime, by trial division of each."""

import random

BENCH_SIZE = 2000


def make_input(size: int, rng: random.Random):
    return ([rng.randrange(100 * size + 2) for _ in range(size)],), {}


def is_prime(x):
    if x < 2:
        return False
    d = 2
    while d * d <= x:
        if x % d == 0:
            return False
        d += 1
    return True


def solve(numbers: list[int]):
    return sum(1 for x in numbers if is_prime(x))
