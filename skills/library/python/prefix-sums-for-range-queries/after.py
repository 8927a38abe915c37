"""Sums of many sub-ranges of one list of integers, from prefix sums built once."""

import itertools


def solve(values, queries):
    prefix = [0, *itertools.accumulate(values)]
    n = len(values)
    out = []
    for lo, hi in queries:
        lo, hi, _ = slice(lo, hi).indices(n)  # slice semantics: clamp and wrap bounds
        out.append(prefix[hi] - prefix[lo] if hi > lo else 0)
    return out
