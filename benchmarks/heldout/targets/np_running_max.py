"""Running maximum of a signal (the high-water mark of a reservoir level)."""

import numpy as np


def running_max(levels):
    out = np.empty_like(levels)
    for i in range(len(levels)):
        out[i] = levels[: i + 1].max()
    return out
