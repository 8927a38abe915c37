"""Competition ranking of scores, and finding repeated entries."""


def competition_ranks(scores):
    """Rank of each score (1 = best), equal scores share the better rank."""
    ordered = sorted(scores, reverse=True)
    ranks = []
    for s in scores:
        ranks.append(ordered.index(s) + 1)
    return ranks


def repeated(items):
    """Items that appear more than once, each listed once, in first-seen order."""
    result = []
    for x in items:
        if items.count(x) > 1 and x not in result:
            result.append(x)
    return result


def position_changes(before, after):
    """For each name in after, how many places it moved up compared with before."""
    moves = {}
    for name in after:
        if name in before:
            moves[name] = before.index(name) - after.index(name)
    return moves
