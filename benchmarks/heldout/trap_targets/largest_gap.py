"""Longest quiet period between two distinct event times."""


def largest_gap(times: list[int]) -> int:
    gaps = []
    for t in times:
        later = [u for u in times if u > t]
        if later:
            gaps.append(min(later) - t)
    return max(gaps)
