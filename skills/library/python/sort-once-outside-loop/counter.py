"""Where the sort-once rule must not apply: each function breaks one precondition."""


def scores_change_between_sorts(scores: list[int], queries: list[int]):
    out = []
    for k in queries:
        ranked = sorted(scores, reverse=True)
        out.append(ranked[k % len(ranked)])
        scores.append(k)
    return out


def sorted_copy_is_consumed(scores: list[int], queries: list[int]):
    out = []
    for _ in queries:
        ranked = sorted(scores)
        out.append(ranked.pop())
    return out


def sorted_copy_is_handed_out(scores: list[int], queries: list[int]):
    out = []
    for _ in queries:
        out.append(sorted(scores))
    return out


def elements_of_unknown_type(scores, queries):
    return [sorted(scores)[k] for k in queries]


def resorted_floats(scores: list[float]):
    board = []
    out = []
    for s in scores:
        board.append(s)
        board.sort(reverse=True)
        out.append(board[0])
    return out


def resorted_list_changed_elsewhere(scores: list[int]):
    board = []
    out = []
    for s in scores:
        board.append(s)
        board.sort()
        out.append(board.pop())
    return out
