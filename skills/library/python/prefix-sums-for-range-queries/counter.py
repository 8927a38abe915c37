"""Where the prefix-sum rule must not apply: each function breaks one precondition."""


def values_of_another_kind(values: list[str], queries):
    return [sum(values[lo:hi]) for lo, hi in queries]


def values_change_between_queries(values: list[int], queries):
    out = []
    for lo, hi in queries:
        out.append(sum(values[lo:hi]))
        values.append(hi)
    return out


def untyped_values(values, queries):
    return [sum(values[lo:hi]) for lo, hi in queries]


def a_single_sum(values: list[int], lo, hi):
    return sum(values[lo:hi])


def a_stepped_slice(values: list[int], queries):
    return [sum(values[lo:hi:2]) for lo, hi in queries]


def sum_with_a_start(values: list[int], queries):
    return [sum(values[lo:hi], 10) for lo, hi in queries]
