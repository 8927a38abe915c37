"""Where the closed-form rule must not apply: each function breaks one precondition."""


def float_bound(n: float):
    return sum(range(int(n)))


def untyped_bound(n):
    total = 0
    for i in range(n):
        total += i
    return total


def a_float_accumulator(n: int):
    total = 0.5
    for i in range(n):
        total += i
    return total


def loop_does_more(n: int, seen: list):
    total = 0
    for i in range(n):
        total += i
        seen.append(i)
    return total


def stepped_range(n: int):
    return sum(range(0, n, 2))


def cubes_have_no_rule_here(n: int):
    return sum(i * i * i for i in range(n))


def loop_variable_read_after(n: int):
    total = 0
    for i in range(n):
        total += i
    return total + i
