"""Weighted sum of a series' samples, with the attributes and their sizes read once."""


class Series:
    """Samples with a weight per residue class of the index."""

    def __init__(self, samples: list[int], weights: list[int]):
        self.samples = list(samples)
        self.weights = list(weights)

    def weighted_sum(self):
        samples, weights = self.samples, self.weights
        n, k = len(samples), len(weights)
        total = 0
        for i in range(n):
            total += samples[i] * weights[i % k]
        return total


def solve(samples, weights):
    return Series(samples, weights).weighted_sum()
