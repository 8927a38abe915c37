"""Trailing moving average of a price series."""

import numpy as np


def moving_average(prices: np.ndarray, window: int) -> np.ndarray:
    n = len(prices)
    if window <= 0 or n < window:
        return np.zeros(0)
    out = np.zeros(n - window + 1)
    for i in range(n - window + 1):
        total = 0.0
        for j in range(i, i + window):
            total += prices[j]
        out[i] = total / window
    return out
