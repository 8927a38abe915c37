"""Greatest common divisors and binomials, by hand."""


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def choose(n, k):
    if k < 0 or k > n:
        return 0
    num = 1
    den = 1
    for i in range(k):
        num *= n - i
        den *= i + 1
    return num // den
