"""Clip sensor samples into a valid range and count how many were out of range."""

import numpy as np


def clip_and_count(samples: np.ndarray, lo: float, hi: float):
    clipped = samples.copy()
    outside = 0
    for i in range(len(samples)):
        if samples[i] < lo:
            clipped[i] = lo
            outside += 1
        elif samples[i] > hi:
            clipped[i] = hi
            outside += 1
    return clipped, outside
