"""Where the sliding-window rule must not apply: each function breaks one precondition."""


def float_readings(xs: list[float], k: int):
    return max(sum(xs[i : i + k]) for i in range(len(xs) - k + 1))


def changed_while_summing(xs: list[int], k: int):
    return [sum(xs[i : i + k]) + xs.pop() * 0 for i in range(len(xs) - k + 1)]


def different_range(xs: list[int], k: int):
    return max(sum(xs[i : i + k]) for i in range(len(xs) - k))


def untyped_width(xs: list[int], k):
    return max(sum(xs[i : i + k]) for i in range(len(xs) - k + 1))
