"""Tribonacci numbers by plain recursion."""


def trib(n):
    if n < 3:
        return 1 if n == 2 else 0
    return trib(n - 1) + trib(n - 2) + trib(n - 3)


def solve(n):
    return trib(n)


TESTS = [((2,), 1), ((5,), 4), ((10,), 81)]


def bench_inputs():
    return [(20,)]
