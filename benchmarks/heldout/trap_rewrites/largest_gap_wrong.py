"""Longest quiet period between two distinct event times."""


def largest_gap(times: list[int]) -> int:
    ordered = sorted(set(times))
    best = 0
    for a, b in zip(ordered, ordered[1:]):
        best = max(best, b - a)
    return best
