"""Whether any reading exceeds the limit, stopping at the first one that does."""


def solve(values: list[int], limit: int):
    exceeded = False
    for v in values:
        if v > limit:
            exceeded = True
            break
    return exceeded
