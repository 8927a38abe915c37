"""Sum of scaled distances to a configured origin, looking everything up per point."""

import math
import random
from types import SimpleNamespace

BENCH_SIZE = 40000


def make_input(size: int, rng: random.Random):
    points = [(rng.random(), rng.random()) for _ in range(size)]
    cfg = SimpleNamespace(
        origin=SimpleNamespace(x=rng.random(), y=rng.random()), scale=SimpleNamespace(factor=2.5)
    )
    return (points, cfg), {}


def solve(points, cfg):
    out = 0.0
    for x, y in points:
        out += math.sqrt((x - cfg.origin.x) ** 2 + (y - cfg.origin.y) ** 2) * cfg.scale.factor
    return out
