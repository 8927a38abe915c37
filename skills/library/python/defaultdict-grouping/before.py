"""Words grouped by their length, creating each bucket on first sight, with a late copy."""

import random

BENCH_SIZE = 4000


def make_input(size: int, rng: random.Random):
    words = ["".join(rng.choice("abcde") for _ in range(rng.randrange(1, 4))) for _ in range(size)]
    return (words,), {}


def solve(words: list[str]):
    by_length = {}
    for word in words:
        n = len(word)
        if n not in by_length:
            by_length[n] = []
        by_length[n].append(word)
    by_first = {}
    for word in words:
        if word:
            by_first[word[0]] = by_first.get(word[0], []) + [word]
    return by_length, by_first
