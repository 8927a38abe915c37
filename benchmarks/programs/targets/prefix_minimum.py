"""The lowest temperature seen so far, at every reading."""


def prefix_minimum(readings: list[int]) -> list[int]:
    return [min(readings[: i + 1]) for i in range(len(readings))]
