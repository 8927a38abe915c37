"""Where the early-exit rule must not apply: each function breaks one precondition."""


def iterable_may_be_shared(readings, limit):
    exceeded = False
    for v in readings:
        if v > limit:
            exceeded = True
    return exceeded


def condition_has_calls(values: list[int], check):
    found = False
    for v in values:
        if check(v):
            found = True
    return found


def loop_variable_used_after(values: list[int], limit: int):
    exceeded = False
    for v in values:
        if v > limit:
            exceeded = True
    return exceeded, v
