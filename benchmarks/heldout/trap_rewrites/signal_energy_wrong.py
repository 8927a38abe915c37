"""Energy of an integer audio signal: the sum of squared samples."""

import numpy as np


def energy(samples: list[int]) -> int:
    arr = np.asarray(samples)
    return int(np.dot(arr, arr))
