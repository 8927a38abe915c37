"""Longest quiet period between two distinct event times."""


def largest_gap(times: list[int]) -> int:
    ordered = sorted(set(times))
    return max([b - a for a, b in zip(ordered, ordered[1:])])
