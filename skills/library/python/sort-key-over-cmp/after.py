"""Rank (name, score) pairs by score descending, then name, with a tuple key."""


def solve(players):
    return sorted(players, key=lambda p: (-p[1], p[0]))
