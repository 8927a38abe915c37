"""Leaderboard: names by score, highest first; equal scores keep their submission order."""


def leaderboard(scores: list[tuple[str, int]]) -> list[str]:
    ranked = []
    for name, score in scores:
        i = len(ranked)
        while i > 0 and ranked[i - 1][1] < score:
            i -= 1
        ranked.insert(i, (name, score))
    return [name for name, _ in ranked]
