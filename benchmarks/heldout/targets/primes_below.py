"""Primes below a limit, used to pick hash-table sizes."""


def primes_below(limit):
    primes = []
    for n in range(2, limit):
        is_prime = True
        for d in range(2, n):
            if n % d == 0:
                is_prime = False
        if is_prime:
            primes.append(n)
    return primes
