"""Flatten a list of rows into one list with itertools.chain.from_iterable."""

import itertools


def solve(rows):
    out = list(itertools.chain.from_iterable(rows))
    return out
