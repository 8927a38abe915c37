"""Largest sum of k consecutive readings (k >= 1), sliding one window along the list."""


def solve(xs, k):
    if k > len(xs):  # no window at all, as max() over an empty range
        raise ValueError("max() arg is an empty sequence")
    window = sum(xs[:k])
    best = window
    for i in range(k, len(xs)):
        window += xs[i] - xs[i - k]
        if window > best:
            best = window
    return best
