"""Word frequencies, counted by collections.Counter."""

from collections import Counter


def solve(words):
    counts = dict(Counter(words))
    return counts
