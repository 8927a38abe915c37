"""Discounted revenue of positive-quantity order lines, looping over numpy arrays."""

import random

import numpy as np

BENCH_SIZE = 20000


def make_input(size: int, rng: random.Random):
    gen = np.random.default_rng(rng.randrange(2**32))
    prices = gen.integers(1, 1000, size).astype(np.float64)
    quantities = gen.integers(-2, 10, size)
    # quarters keep every product and partial sum exact in float64, so the loop and the
    # vectorised sum agree bit for bit despite their different summation orders
    discount = gen.integers(0, 4, size) / 4.0
    return (prices, quantities, discount), {}


def solve(prices, quantities, discount):
    total = 0.0
    for i in range(len(prices)):
        if quantities[i] > 0:
            total += prices[i] * quantities[i] * (1.0 - discount[i])
    return float(total)
