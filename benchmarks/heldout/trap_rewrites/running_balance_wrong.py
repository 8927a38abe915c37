"""Account balance after each booking, summed exactly (no drift from float rounding)."""

from itertools import accumulate


def running_balance(amounts: list[float]) -> list[float]:
    return [float(x) for x in accumulate(amounts)]
