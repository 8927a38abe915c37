"""How many invoice numbers in [lo, hi] (inclusive) are multiples of k."""


def count_divisible(lo: int, hi: int, k: int) -> int:
    count = 0
    for n in range(lo, hi + 1):
        if n % k == 0:
            count += 1
    return count
