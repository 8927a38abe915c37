"""Word frequencies, counted with an explicit dict loop."""

import random

BENCH_SIZE = 100000


def make_input(size: int, rng: random.Random):
    vocabulary = [f"w{i}" for i in range(max(1, size // 500))]
    return ([rng.choice(vocabulary) for _ in range(size)],), {}


def solve(words):
    counts = {}
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
    return counts
