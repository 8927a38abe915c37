"""Ways to climb n stairs taking 1, 2 or 3 steps at a time."""


def ways(n: int) -> int:
    if n < 0:
        return 0
    table = [1]
    for i in range(1, n + 1):
        table = table + [sum(table[max(0, i - 3):i])]
    return table[n]
