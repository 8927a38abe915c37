"""Closest pair of delivery stops on the city grid (squared distance)."""

from typing import NamedTuple


class Stop(NamedTuple):
    x: int
    y: int


def closest_pair_sq(stops: list[Stop]) -> int:
    if len(stops) < 2:
        raise ValueError("need at least two stops")
    best = None
    for i in range(len(stops)):
        for j in range(len(stops)):
            if i == j:
                continue
            dx = stops[i].x - stops[j].x
            dy = stops[i].y - stops[j].y
            d = dx * dx + dy * dy
            if best is None or d < best:
                best = d
    return best
