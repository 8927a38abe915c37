"""Where the memoization rule must not apply: each function breaks one precondition."""

CALLS = []


def logs_its_calls(n: int) -> int:
    CALLS.append(n)
    if n < 2:
        return n
    return logs_its_calls(n - 1) + logs_its_calls(n - 2)


def argument_may_be_unhashable(items, i):
    if i >= len(items):
        return 0
    return max(argument_may_be_unhashable(items, i + 1), items[i] + argument_may_be_unhashable(items, i + 2))


def returns_a_mutable_list(n: int) -> list:
    if n == 0:
        return []
    return returns_a_mutable_list(n - 1) + [n] + returns_a_mutable_list(n - 1)
