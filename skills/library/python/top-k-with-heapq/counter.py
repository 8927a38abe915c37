"""Where the top-k rule must not apply: each function breaks one precondition."""


def floats_may_hold_nan(values: list[float]):
    return sorted(values, reverse=True)[:5]


def unknown_elements(values):
    return sorted(values)[:5]


def slice_from_the_end(values: list[int]):
    return sorted(values)[-3:]


def slice_with_a_start(values: list[int]):
    return sorted(values)[1:4]


def custom_key(values: list[int]):
    return sorted(values, key=lambda v: -v)[:3]


def sorted_is_not_the_builtin(values: list[int], sorted):
    return sorted(values)[:3]
