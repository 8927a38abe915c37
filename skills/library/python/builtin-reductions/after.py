"""Total and peak of the readings, and whether any is negative, with built-in reductions."""


def solve(readings: list[int]):
    total = sum(readings)
    peak = max(readings, default=None)
    negative = any(x < 0 for x in readings)
    return total, peak, negative
