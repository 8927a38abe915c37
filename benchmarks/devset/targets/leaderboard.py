"""Keep a top-3 leaderboard as scores come in."""


def podium_history(scores):
    board = []
    snapshots = []
    for s in scores:
        board.append(s)
        board.sort(reverse=True)
        snapshots.append(tuple(board[:3]))
    return snapshots
