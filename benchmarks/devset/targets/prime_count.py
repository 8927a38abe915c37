"""How many primes are below a limit (trial division)."""


def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def count_primes(limit):
    count = 0
    for k in range(limit):
        if is_prime(k):
            count += 1
    return count
