"""Account balance after each booking, summed exactly (no drift from float rounding)."""

import math

_SAFE_MAGNITUDE = 1e300  # partial sums of smaller numbers cannot overflow


def _exact_prefix_sums(amounts: list[float]) -> list[float]:
    partials: list[float] = []  # non-overlapping floats whose sum is the exact running total
    balances = []
    for x in amounts:
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]
        balances.append(math.fsum(partials))
    return balances


def running_balance(amounts: list[float]) -> list[float]:
    if all(math.isfinite(x) and abs(x) < _SAFE_MAGNITUDE for x in amounts):
        return _exact_prefix_sums(amounts)
    return [math.fsum(amounts[: i + 1]) for i in range(len(amounts))]
