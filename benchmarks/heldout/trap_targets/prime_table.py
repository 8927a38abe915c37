"""Primes up to n, for sizing the hash shards."""


def primes_up_to(n: int) -> list[int]:
    primes = []
    for candidate in range(2, n + 1):
        for d in range(2, int(candidate ** 0.5) + 1):
            if candidate % d == 0:
                break
        else:
            primes.append(candidate)
    return primes
