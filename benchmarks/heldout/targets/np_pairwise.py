"""Squared distances between all pairs of 2-D points (integer grid coordinates)."""

import numpy as np


def pairwise_sq_distances(points: np.ndarray) -> np.ndarray:
    n = points.shape[0]
    out = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for j in range(n):
            dx = points[i, 0] - points[j, 0]
            dy = points[i, 1] - points[j, 1]
            out[i, j] = dx * dx + dy * dy
    return out
