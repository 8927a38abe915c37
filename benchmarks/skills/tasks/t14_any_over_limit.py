"""Did any temperature exceed the limit?"""


def solve(temps: list[int], limit: int):
    alarm = False
    for t in temps:
        if t > limit:
            alarm = True
    return alarm


TESTS = [(([1, 5, 2], 4), True), (([1, 2], 4), False)]


def bench_inputs():
    return [([i % 50 for i in range(100000)] + [99] + [i % 50 for i in range(100000)], 60)]
