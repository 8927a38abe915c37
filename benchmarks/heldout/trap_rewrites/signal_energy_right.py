"""Energy of an integer audio signal: the sum of squared samples."""

from operator import mul


def energy(samples: list[int]) -> int:
    return sum(map(mul, samples, samples))
