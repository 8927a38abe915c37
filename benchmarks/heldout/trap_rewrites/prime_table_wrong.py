"""Primes up to n, for sizing the hash shards."""

from bisect import bisect_right

_LIMIT = 10_000
_sieve = bytearray([1]) * (_LIMIT + 1)
_sieve[0:2] = b"\x00\x00"
for _i in range(2, int(_LIMIT ** 0.5) + 1):
    if _sieve[_i]:
        _sieve[_i * _i :: _i] = bytearray(len(range(_i * _i, _LIMIT + 1, _i)))
_PRIMES = [i for i, is_prime in enumerate(_sieve) if is_prime]


def primes_up_to(n: int) -> list[int]:
    return _PRIMES[: bisect_right(_PRIMES, n)]
