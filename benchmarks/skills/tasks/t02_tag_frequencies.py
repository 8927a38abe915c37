"""How often each tag occurs in a stream of tags."""


def solve(tags):
    freq = {}
    for tag in tags:
        if tag in freq:
            freq[tag] += 1
        else:
            freq[tag] = 1
    return freq


TESTS = [((["a", "b", "a"],), {"a": 2, "b": 1}), (([],), {})]


def bench_inputs():
    return [([f"tag{i * 31 % 97}" for i in range(60000)],)]
