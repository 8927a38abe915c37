"""Counts of values in equal-width bins between the minimum and the maximum."""


def histogram_bins(values: list[float], bins: int) -> list[int]:
    bins = max(1, abs(bins))
    if not values:
        return [0] * bins
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    counts = []
    for b in range(bins):
        left = lo + b * width
        right = lo + (b + 1) * width
        counts.append(sum(1 for v in values if left <= v < right or (b == bins - 1 and v == hi)))
    return counts
