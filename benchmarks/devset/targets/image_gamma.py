"""Gamma correction and thresholding for grayscale images stored as numpy arrays."""

import numpy as np


def gamma_correct(image, gamma=2.2):
    """image: 2-D float array with values in [0, 1]; returns a new corrected array."""
    rows, cols = image.shape
    out = np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            out[r, c] = image[r, c] ** (1.0 / gamma)
    return out


def threshold_count(image, level=0.5):
    """Number of pixels strictly brighter than `level`."""
    count = 0
    rows, cols = image.shape
    for r in range(rows):
        for c in range(cols):
            if image[r, c] > level:
                count += 1
    return count
