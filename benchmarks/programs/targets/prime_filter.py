"""Keep the prime numbers of a list of order ids, in order."""


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for d in range(2, n):
        if n % d == 0:
            return False
    return True


def prime_filter(ids: list[int]) -> list[int]:
    return [n for n in ids if _is_prime(n)]
