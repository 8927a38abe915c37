"""Where the min/max rule must not apply: each function breaks one precondition."""


def may_be_empty(values: list[int]):
    return sorted(values)[0]


def last_of_equal_keys(words: list[str]):
    if not words:
        return ""
    return sorted(words, key=len)[-1]


def floats_may_hold_nan(values: list[float]):
    if values:
        return sorted(values)[0]
    return None


def changed_after_the_guard(values: list[int], extra):
    if not values:
        return None
    values.clear()
    values.extend(extra)
    return sorted(values)[-1]


def unknown_key(values: list[int], key):
    if values:
        return sorted(values, key=key)[0]
    return None
