"""Number of index pairs i < j with xs[i] + xs[j] == target, by counting complements."""

from collections import Counter


def solve(xs: list[int], target: int):
    seen = Counter()
    count = 0
    for x in xs:
        count += seen[target - x]
        seen[x] += 1
    return count
