"""Leaderboard: names by score, highest first; equal scores keep their submission order."""

import numpy as np


def leaderboard(scores: list[tuple[str, int]]) -> list[str]:
    order = np.argsort([-score for _, score in scores])
    return [scores[i][0] for i in order]
