"""Where the sliding-window rule must not apply: each function breaks one precondition."""


def changed_while_summing(xs: list[int], k: int):
    return [sum(xs[i : i + k]) + xs.pop() * 0 for i in range(len(xs) - k + 1)]


def different_range(xs: list[int], k: int):
    return max(sum(xs[i : i + k]) for i in range(len(xs) - k))


def untyped_width(xs: list[int], k):
    return max(sum(xs[i : i + k]) for i in range(len(xs) - k + 1))


def chunk_read_twice(values: list[int], window: int):
    averages = []
    for i in range(len(values) - window + 1):
        chunk = values[i:i + window]
        averages.append(sum(chunk) / len(chunk))
    return averages
