"""Customer ids in order of first purchase."""


def solve(purchases):
    ordered = []
    for customer in purchases:
        if customer not in ordered:
            ordered.append(customer)
    return ordered


TESTS = [(([3, 1, 3, 2, 1],), [3, 1, 2]), (([],), [])]


def bench_inputs():
    return [([i * 13 % 1500 for i in range(4000)],)]
