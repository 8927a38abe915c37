"""Ways to climb n stairs taking 1, 2 or 3 steps at a time."""


def ways(n: int) -> int:
    if n < 0:
        return 0
    a, b, c = 0, 0, 1  # ways(i - 3), ways(i - 2), ways(i - 1) with ways(0) = 1
    for _ in range(n):
        a, b, c = b, c, a + b + c
    return c
