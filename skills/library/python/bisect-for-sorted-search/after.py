"""For each query, how many readings lie strictly below it, by binary search."""

import bisect


def solve(readings: list[int], queries: list[int]):
    ordered = sorted(readings)
    return [bisect.bisect_left(ordered, q) for q in queries]
