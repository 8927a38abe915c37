"""Simulate the office print queue: jobs "arrival pages" on stdin, one page per second."""

import sys


def simulate(jobs):
    queue = []
    clock = 0
    log = ""
    for arrival, pages in jobs:
        queue.append((arrival, pages))
    while queue:
        arrival, pages = queue.pop(0)
        clock = max(clock, arrival)
        clock += pages
        log += f"{arrival} {clock} {clock - arrival}\n"
    return log


if __name__ == "__main__":
    jobs = []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 2:
            jobs.append((int(parts[0]), int(parts[1])))
    jobs.sort()
    sys.stdout.write(simulate(jobs))
