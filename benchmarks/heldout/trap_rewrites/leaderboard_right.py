"""Leaderboard: names by score, highest first; equal scores keep their submission order."""


def leaderboard(scores: list[tuple[str, int]]) -> list[str]:
    return [name for name, _ in sorted(scores, key=lambda pair: -pair[1])]
