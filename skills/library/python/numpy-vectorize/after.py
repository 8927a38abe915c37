"""Discounted revenue of positive-quantity order lines, with whole-array operations."""

import numpy as np


def solve(prices, quantities, discount):
    mask = quantities > 0
    total = np.sum(prices[mask] * quantities[mask] * (1.0 - discount[mask]))
    return float(total)
