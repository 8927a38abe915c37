"""Median of a list of measurements."""


def median(values: list[float]) -> float:
    if not values:
        raise ValueError("median of an empty list")
    pool = list(values)
    ordered = []
    while pool:
        smallest = min(pool)
        pool.remove(smallest)
        ordered.append(smallest)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2
