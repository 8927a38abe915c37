"""Histogram of integer response times (ms) in fixed-width bins."""

import numpy as np


def histogram(times_ms: np.ndarray, bin_ms: int, n_bins: int) -> np.ndarray:
    counts = np.zeros(n_bins, dtype=np.int64)
    for t in times_ms:
        b = int(t) // bin_ms
        if b >= n_bins:
            b = n_bins - 1
        if b < 0:
            b = 0
        counts[b] += 1
    return counts
