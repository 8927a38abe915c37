"""Where the math-builtins rule must not apply: each function breaks one precondition."""


def float_base(pairs: list[tuple[float, int]], mod: int):
    out = []
    for b, e in pairs:
        result = 1 % mod
        for _ in range(e):
            result = result * b % mod
        out.append(result)
    return out


def untyped_modulus(b: int, e: int, mod):
    result = 1 % mod
    for _ in range(e):
        result = result * b % mod
    return result


def modulus_may_be_zero(b: int, e: int, mod: int):
    result = 1
    for _ in range(e):
        result = result * b % mod
    return result


def loop_variable_used_later(n: int):
    f = 1
    for i in range(1, n + 1):
        f *= i
    return f, i


def product_of_unknown_items(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def product_of_strings_repeated(xs: list[str]):
    p = 1
    for x in xs:
        p = p * x
    return p


def something_between(n: int):
    f = 1
    n += 0
    for i in range(1, n + 1):
        f *= i
    return f
