"""Trailing moving average of a price series."""


def moving_average(prices: list[float], window: int) -> list[float]:
    window = max(1, abs(window))
    out = []
    for i in range(len(prices) - window + 1):
        out.append(sum(prices[i:i + window]) / window)
    return out
