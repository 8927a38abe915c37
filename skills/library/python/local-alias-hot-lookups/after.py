"""Sum of scaled distances to a configured origin, with invariant lookups hoisted."""

import math


def solve(points, cfg):
    sqrt = math.sqrt
    ox, oy, factor = cfg.origin.x, cfg.origin.y, cfg.scale.factor
    out = 0.0
    for x, y in points:
        out += sqrt((x - ox) ** 2 + (y - oy) ** 2) * factor
    return out
