"""Sum of the numbers below n that are multiples of 3 or 5, by inclusion-exclusion."""


def _multiples_sum(k, n):
    m = (n - 1) // k
    return k * m * (m + 1) // 2


def solve(n):
    if n <= 0:
        return 0
    return _multiples_sum(3, n) + _multiples_sum(5, n) - _multiples_sum(15, n)
