"""Weighted sum of a series' samples, reading the samples and weights through self in every step."""

import random

BENCH_SIZE = 20_000


class Series:
    """Samples with a weight per residue class of the index."""

    def __init__(self, samples: list[int], weights: list[int]):
        self.samples = list(samples)
        self.weights = list(weights)

    def weighted_sum(self):
        total = 0
        i = 0
        while i < len(self.samples):
            total += self.samples[i] * self.weights[i % len(self.weights)]
            i += 1
        return total


def make_input(size: int, rng: random.Random):
    samples = [rng.randrange(1000) for _ in range(size)]
    weights = [rng.randrange(1, 5) for _ in range(7)]
    return (samples, weights), {}


def solve(samples, weights):
    return Series(samples, weights).weighted_sum()
