"""Total Hamming distance between paired 64-bit fingerprints, via binary strings."""

import random

BENCH_SIZE = 20000


def make_input(size: int, rng: random.Random):
    xs = [rng.getrandbits(64) for _ in range(size)]
    ys = [rng.getrandbits(64) for _ in range(size)]
    return (xs, ys), {}


def solve(xs, ys):
    total = 0
    for a, b in zip(xs, ys):
        total += bin(a ^ b).count("1")
    return total
