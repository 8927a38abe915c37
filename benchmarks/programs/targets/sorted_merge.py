"""Build a sorted leaderboard by inserting each score at its place."""


def sorted_merge(scores: list[int]) -> list[int]:
    board = []
    for score in scores:
        i = 0
        while i < len(board) and board[i] <= score:
            i += 1
        board.insert(i, score)
    return board
