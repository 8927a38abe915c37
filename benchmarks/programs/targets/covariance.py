"""Sample covariance of two equally long series (truncated to the shorter one)."""


def covariance(xs: list[float], ys: list[float]) -> float:
    n = min(len(xs), len(ys))
    if n < 2:
        return 0.0
    total = 0.0
    for i in range(n):
        total += (xs[i] - sum(xs[:n]) / n) * (ys[i] - sum(ys[:n]) / n)
    return total / (n - 1)
