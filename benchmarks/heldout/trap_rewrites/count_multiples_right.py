"""How many invoice numbers in [lo, hi] (inclusive) are multiples of k."""


def count_divisible(lo: int, hi: int, k: int) -> int:
    if lo > hi:
        return 0
    lo % k  # raises the loop's own ZeroDivisionError when k == 0
    k = abs(k)
    return hi // k - (lo - 1) // k
