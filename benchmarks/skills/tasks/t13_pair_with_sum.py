"""Is there a pair of distinct positions whose values add up to the target?"""


def solve(values, target):
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if values[i] + values[j] == target:
                return True
    return False


TESTS = [(([1, 4, 6], 10), True), (([1, 2], 5), False), (([], 0), False)]


def bench_inputs():
    return [(list(range(0, 3000, 3)), -1)]
