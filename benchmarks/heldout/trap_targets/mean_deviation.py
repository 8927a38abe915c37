"""Mean absolute deviation of response times; 0.0 when there are none."""


def mean_deviation(values: list[float]) -> float:
    if not values:
        return 0.0
    total = 0.0
    for v in values:
        total += abs(v - sum(values) / len(values))
    return total / len(values)
