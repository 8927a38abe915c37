"""For each query, how many sorted readings lie strictly below it, by binary search."""

import bisect


def solve(readings, queries):
    return [bisect.bisect_left(readings, q) for q in queries]
