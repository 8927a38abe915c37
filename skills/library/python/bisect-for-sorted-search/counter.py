"""Where the bisect rule must not apply: each function breaks one precondition."""


def list_not_known_sorted(readings: list[int], queries: list[int]):
    return [sum(1 for x in readings if x < q) for q in queries]


def changed_after_sorting(readings: list[int], queries: list[int]):
    ordered = sorted(readings)
    ordered.append(-1)
    return [sum(1 for x in ordered if x < q) for q in queries]


def probe_of_another_type(readings: list[int], queries: list[float]):
    ordered = sorted(readings)
    return [sum(1 for x in ordered if x < q) for q in queries]


def sorted_in_reverse(readings: list[int], queries: list[int]):
    ordered = sorted(readings, reverse=True)
    return [sum(1 for x in ordered if x > q) for q in queries]
