"""Tally log lines by level and sum their codes; each line is matched with re.match on a literal pattern.

Try it:  polca optimize examples/log_levels.py --stdin examples/log_levels.txt
The executable skill ``precompiled-regex`` compiles the pattern once, at import.
"""

import re
import sys


def parse(lines):
    out = []
    for line in lines:
        found = re.match(r"([A-Z]+):(\d+) ", line)
        out.append((found.group(1), int(found.group(2))) if found else None)
    return out


def main():
    totals = {}
    skipped = 0
    for record in parse(sys.stdin.read().splitlines()):
        if record is None:
            skipped += 1
            continue
        level, code = record
        count, total = totals.get(level, (0, 0))
        totals[level] = (count + 1, total + code)
    for level in sorted(totals):
        count, total = totals[level]
        print(f"{level:6s} {count:7d} lines, codes sum to {total}")
    print(f"skipped {skipped} malformed lines")


if __name__ == "__main__":
    main()
