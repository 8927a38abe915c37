"""Where the pair-count rule must not apply: each function breaks one precondition."""


def floats_may_round(xs: list[float], target: float):
    count = 0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[i] + xs[j] == target:
                count += 1
    return count


def pairs_include_an_item_with_itself(xs: list[int], target: int):
    count = 0
    for i in range(len(xs)):
        for j in range(i, len(xs)):
            if xs[i] + xs[j] == target:
                count += 1
    return count


def first_pair_is_logged_before_it_is_returned(xs: list[int], target: int, log: list[int]):
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[i] + xs[j] == target:
                log.append(i)
                return i, j
    return None
