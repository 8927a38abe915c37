"""Mean absolute deviation of response times; 0.0 when there are none."""

from statistics import fmean


def mean_deviation(values: list[float]) -> float:
    mean = fmean(values)
    return fmean(abs(v - mean) for v in values)
