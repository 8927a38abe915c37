"""Longest strictly increasing streak of daily sales figures."""


def longest_increasing_run(xs):
    best = 0
    for start in range(len(xs)):
        length = 1
        for k in range(start + 1, len(xs)):
            if xs[k] > xs[k - 1]:
                length += 1
            else:
                break
        best = max(best, length)
    return best
