"""Account balance after each booking, summed exactly (no drift from float rounding)."""

import math


def running_balance(amounts: list[float]) -> list[float]:
    return [math.fsum(amounts[: i + 1]) for i in range(len(amounts))]
