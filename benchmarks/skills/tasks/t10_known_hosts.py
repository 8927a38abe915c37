"""Count requests whose host is in the known-hosts table."""


def solve(table, requests):
    known = 0
    for host in requests:
        allowed = host in list(table)
        if allowed:
            known += 1
    return known


TESTS = [(({"a": 1, "b": 2}, ["a", "c", "b", "a"]), 3)]


def bench_inputs():
    return [({f"h{i}": i for i in range(0, 3000, 2)}, [f"h{i % 3500}" for i in range(3000)])]
