"""Where the bit-count rule must not apply: each function breaks one precondition."""


def counts_zeros_not_ones(xs):
    return [bin(x).count("0") for x in xs]


def counts_a_slice(xs):
    return [bin(x).count("1", 3) for x in xs]


def bin_is_not_the_builtin(xs, bin):
    return [bin(x).count("1") for x in xs]
