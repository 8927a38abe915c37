"""Median of a list of measurements."""

import math


def _by_repeated_min(values: list[float]) -> list[float]:
    pool = list(values)
    ordered = []
    while pool:
        smallest = min(pool)
        pool.remove(smallest)
        ordered.append(smallest)
    return ordered


def median(values: list[float]) -> float:
    if not values:
        raise ValueError("median of an empty list")
    if any(isinstance(v, float) and math.isnan(v) for v in values):
        ordered = _by_repeated_min(values)  # NaN has no sorted order: keep the original's
    else:
        ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2
