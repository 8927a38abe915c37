"""Readings above the mean, with the mean computed once before the scan."""


def solve(values: list[int]):
    mean = sum(values) / len(values)
    return [x for x in values if x > mean]
