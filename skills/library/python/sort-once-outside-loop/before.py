"""The k-th best score for each query k, sorting the scores for every query."""

import random

BENCH_SIZE = 300


def make_input(size: int, rng: random.Random):
    n = max(size, 1)
    scores = [rng.randrange(10**6) for _ in range(n)]
    queries = [rng.randrange(n) for _ in range(n)]
    return (scores, queries), {}


def solve(scores: list[int], queries: list[int]):
    out = []
    for k in queries:
        ranked = sorted(scores, reverse=True)
        out.append(ranked[k])
    return out
