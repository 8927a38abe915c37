"""Where the sort-key rule must not apply: each function breaks one precondition."""

import functools


def by_concatenation(a, b):
    return (a + b > b + a) - (a + b < b + a)


def by_float_difference(a, b):
    return a[1] - b[1]


def by_name_descending_then_score(a, b):
    if a[0] != b[0]:
        return (b[0] > a[0]) - (b[0] < a[0])
    return a[1] - b[1]


def largest_number(parts: list[str]):
    return sorted(parts, key=functools.cmp_to_key(by_concatenation))


def scores_are_floats(rows: list[tuple[str, float]]):
    return sorted(rows, key=functools.cmp_to_key(by_float_difference))


def descending_strings_cannot_be_negated(rows: list[tuple[str, int]]):
    return sorted(rows, key=functools.cmp_to_key(by_name_descending_then_score))


def unknown_elements(rows):
    return sorted(rows, key=functools.cmp_to_key(by_float_difference))
