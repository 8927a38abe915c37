"""Ways to climb a staircase taking 1, 2 or 3 steps, for each requested height."""


def _ways(n: int) -> int:
    if n < 0:
        return 0
    if n == 0:
        return 1
    return _ways(n - 1) + _ways(n - 2) + _ways(n - 3)


def staircase_ways(heights: list[int]) -> list[int]:
    return [_ways(h % 13) for h in heights]
