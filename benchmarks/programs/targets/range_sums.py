"""Answer inclusive range-sum queries over a list of sales figures."""


def range_sums(values: list[int], queries: list[tuple[int, int]]) -> list[int]:
    n = len(values)
    answers = []
    for a, b in queries:
        if n == 0:
            answers.append(0)
            continue
        lo, hi = sorted((a % n, b % n))
        total = 0
        for i in range(lo, hi + 1):
            total += values[i]
        answers.append(total)
    return answers
