"""Overlapping windows over a sequence of readings, for the feature extractor."""


def windows(seq: list[float], size):
    for start in range(len(seq) - size + 1):
        yield tuple(list(seq)[start:start + size])
