"""Rank (name, score) pairs by score descending, then name, with a comparison function."""

import functools
import random

BENCH_SIZE = 6000


def make_input(size: int, rng: random.Random):
    players = [(f"p{rng.randrange(size + 1)}", rng.randrange(100)) for _ in range(size)]
    return (players,), {}


def compare(a, b):
    if a[1] != b[1]:
        return b[1] - a[1]
    return (a[0] > b[0]) - (a[0] < b[0])


def solve(players: list[tuple[str, int]]):
    return sorted(players, key=functools.cmp_to_key(compare))
