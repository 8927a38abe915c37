"""Where the sieve rule must not apply: each function breaks one precondition."""


def is_prime(x):
    if x < 2:
        return False
    for d in range(2, x // 2):
        if x % d == 0:
            return False
    return True


def is_probably_prime(x):
    if x < 2:
        return False
    for d in range(2, int(x ** 0.5) + 1):
        if x % d == 0:
            return True
    return True


def bound_is_not_a_square_root(numbers: list[int]):
    return sum(1 for x in numbers if is_prime(x))


def test_is_not_a_primality_test(numbers: list[int]):
    return [x for x in numbers if is_probably_prime(x)]
