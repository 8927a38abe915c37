"""Exact fraction arithmetic for recipe scaling, without the fractions module."""


def gcd(a, b):
    a = abs(a)
    b = abs(b)
    while b != 0:
        a, b = b, a % b
    return a


def lcm(a, b):
    return a * b // gcd(a, b)


def reduce_fraction(num, den):
    g = gcd(num, den)
    if g == 0:
        return 0, 1
    return num // g, den // g


def add_all(fractions):
    """Sum of (numerator, denominator) pairs, reduced."""
    num, den = 0, 1
    for n, d in fractions:
        common = lcm(den, d)
        num = num * (common // den) + n * (common // d)
        den = common
        num, den = reduce_fraction(num, den)
    return num, den


def coprime_pairs(limit):
    """Number of pairs 1 <= a < b <= limit with gcd(a, b) == 1."""
    count = 0
    for b in range(2, limit + 1):
        for a in range(1, b):
            if gcd(a, b) == 1:
                count += 1
    return count
