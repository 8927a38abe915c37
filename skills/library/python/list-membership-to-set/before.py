"""Count the numbers below ``limit`` that are not blocked; blocked is kept in a list."""

import random

BENCH_SIZE = 600


def make_input(size: int, rng: random.Random):
    text = " ".join(str(rng.randrange(4 * size + 1)) for _ in range(size))
    return (text, 4 * size), {}


def solve(text, limit):
    blocked = [int(tok) for tok in text.split()]
    free = 0
    for i in range(limit):
        if i not in blocked:
            free += 1
    return free
