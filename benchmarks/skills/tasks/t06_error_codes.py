"""Extract (service, code) from log lines such as 'AUTH-401 denied'."""

import re


def solve(lines):
    found = []
    for line in lines:
        m = re.match(r"([A-Z]+)-(\d+)", line)
        found.append((m.group(1), int(m.group(2))) if m else None)
    return found


TESTS = [((["AUTH-401 denied", "ok"],), [("AUTH", 401), None])]


def bench_inputs():
    return [([f"SVC-{i % 600} failed" if i % 3 else "fine" for i in range(20000)],)]
