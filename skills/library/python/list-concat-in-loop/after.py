"""Collect the even values and, for each multiple of three, its neighbours, in place."""


def solve(values):
    picked = []
    for v in values:
        if v % 2 == 0:
            picked.append(v)
        if v % 3 == 0:
            picked.extend([v - 1, v + 1])
    return picked
