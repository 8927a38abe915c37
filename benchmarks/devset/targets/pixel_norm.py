"""Rescale a numpy array of pixel values into [0, 1]."""

import numpy as np


def normalize(pixels):
    lo = pixels.min()
    hi = pixels.max()
    span = hi - lo
    if span == 0:
        return np.zeros(len(pixels))
    out = np.empty(len(pixels))
    for i in range(len(pixels)):
        out[i] = (pixels[i] - lo) / span
    return out
