"""How many invoice numbers in [lo, hi] (inclusive) are multiples of k."""


def count_divisible(lo: int, hi: int, k: int) -> int:
    if lo > hi:
        return 0
    return hi // k - lo // k
