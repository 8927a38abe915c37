"""Water levels: after each reading, add the latest level to a running sum."""


def solve(readings):
    levels = []
    acc = 0
    for r in readings:
        levels.append(r)
        latest = levels[::-1][0]
        acc += latest
    return acc


TESTS = [(([1, 2, 3],), 6), (([],), 0)]


def bench_inputs():
    return [([i % 13 for i in range(3000)],)]
