"""Split log lines into (level, code) with re.match on a literal pattern each time."""

import random
import re

BENCH_SIZE = 20000


def make_input(size: int, rng: random.Random):
    levels = ["INFO", "WARN", "ERROR", "info", "?"]
    lines = [f"{rng.choice(levels)}:{rng.randrange(1000)} message" for _ in range(size)]
    return (lines,), {}


def solve(lines):
    out = []
    for line in lines:
        found = re.match(r"([A-Z]+):(\d+)", line)
        out.append((found.group(1), int(found.group(2))) if found else None)
    return out
