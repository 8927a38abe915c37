"""Flatten batches of sensor samples into one list."""


def solve(batches):
    samples = []
    for batch in batches:
        for s in batch:
            samples.append(s)
    return samples


TESTS = [(([[1, 2], [], [3]],), [1, 2, 3])]


def bench_inputs():
    return [([[j for j in range(i % 9)] for i in range(30000)],)]
