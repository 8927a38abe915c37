"""Sum of the cheapest price in each store's catalogue."""


def solve(catalogues):
    total = 0
    for prices in catalogues:
        cheapest = sorted(prices)[0]
        total += cheapest
    return total


TESTS = [(([[3, 1, 2], [5]],), 6)]


def bench_inputs():
    return [([[(i * 7919 + j * 104729) % 10007 for j in range(200)] for i in range(300)],)]
