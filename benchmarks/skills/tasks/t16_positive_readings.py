"""Readings above the noise floor."""


def solve(readings, floor):
    kept = []
    for r in readings:
        if r > floor:
            kept.append(r)
    return kept


TESTS = [(([1, 5, 3], 2), [5, 3])]


def bench_inputs():
    return [([i % 97 for i in range(200000)], 40)]
