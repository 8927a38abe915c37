"""Where the alias rule must not apply: each function breaks one precondition."""

import math


def loop_calls_unknown_code(values, transform):
    total = 0.0
    for v in values:
        total += math.sqrt(transform(v))
    return total


def module_attribute_is_rebound(values):
    total = 0.0
    for v in values:
        total += math.tau * v
        math.tau = v
    return total
