"""Where the numpy-vectorize rule must not apply: each function breaks one precondition."""

import numpy as np


def carries_a_dependency(xs):
    total = 0.0
    for i in range(len(xs)):
        total += xs[i] * total
    return total


def reads_a_neighbour(xs):
    total = 0.0
    for i in range(len(xs)):
        total += xs[i] - xs[i - 1]
    return total


def calls_a_function(xs):
    total = 0.0
    for i in range(len(xs)):
        total += np.sqrt(xs[i])
    return total


def starts_elsewhere(xs):
    total = 1.0
    for i in range(len(xs)):
        total += xs[i]
    return total


def untyped_scale(xs, scale):
    total = 0.0
    for i in range(len(xs)):
        total += xs[i] * scale
    return total
