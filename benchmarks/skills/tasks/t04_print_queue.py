"""Process print jobs first come, first served; return the pages printed per printer."""


def solve(jobs, printers):
    pending = list(jobs)
    pages = [0] * printers
    turn = 0
    while pending:
        job = pending.pop(0)
        pages[turn % printers] += job
        turn += 1
    return pages


TESTS = [(([3, 4, 5], 2), [8, 4]), (([], 1), [0])]


def bench_inputs():
    return [([i % 17 + 1 for i in range(60000)], 4)]
