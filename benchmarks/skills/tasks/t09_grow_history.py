"""Keep a running history of account balances."""


def solve(deltas):
    balance = 0
    history = []
    for d in deltas:
        balance += d
        history = history + [balance]
    return history


TESTS = [(([1, -2, 5],), [1, -1, 4]), (([],), [])]


def bench_inputs():
    return [([i % 11 - 5 for i in range(6000)],)]
