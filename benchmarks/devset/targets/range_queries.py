"""Answer many range-sum queries over a list of ints."""


def range_sums(values, queries):
    answers = []
    for lo, hi in queries:
        answers.append(sum(values[lo:hi]))
    return answers
