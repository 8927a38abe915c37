"""Scale each row of a count matrix so that it sums to 1 (rows of zeros stay zero)."""

import numpy as np


def normalize_rows(matrix):
    rows, cols = matrix.shape
    out = np.zeros((rows, cols))
    for r in range(rows):
        total = 0
        for c in range(cols):
            total += matrix[r, c]
        if total == 0:
            continue
        for c in range(cols):
            out[r, c] = matrix[r, c] / total
    return out
