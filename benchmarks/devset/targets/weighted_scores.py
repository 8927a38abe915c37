"""Score exam answers with per-question weights (numpy arrays, Python loops)."""

import numpy as np


def weighted_total(scores, weights):
    """Dot product of two 1-D arrays, done by hand."""
    total = 0.0
    for i in range(len(scores)):
        total += scores[i] * weights[i]
    return total


def clipped(scores, low=0.0, high=10.0):
    """A copy of scores with every value clipped into [low, high]."""
    result = np.empty_like(scores)
    for i in range(len(scores)):
        s = scores[i]
        if s < low:
            s = low
        elif s > high:
            s = high
        result[i] = s
    return result


def class_totals(score_matrix, weights):
    """One weighted total per student (row of score_matrix)."""
    totals = np.zeros(score_matrix.shape[0])
    for row in range(score_matrix.shape[0]):
        totals[row] = weighted_total(score_matrix[row], weights)
    return totals
