"""How many of the given numbers are prime, with one sieve up to the largest number."""

import math


def _sieve(limit):
    flags = bytearray([1]) * limit
    flags[: min(2, limit)] = bytes(min(2, limit))
    for p in range(2, math.isqrt(max(limit - 1, 0)) + 1):
        if flags[p]:
            flags[p * p :: p] = bytes(len(range(p * p, limit, p)))
    return flags


def solve(numbers):
    if not numbers:
        return 0
    flags = _sieve(max(max(numbers), 1) + 1)
    return sum(flags[x] for x in numbers if x >= 0)
