"""Count log levels read from stdin and print one line per input line."""

import sys


def main():
    counts = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        level = line.split()[0]
        counts[level] = counts.get(level, 0) + 1
        print(level, counts[level])
    for level in sorted(counts):
        print(level, "total", counts[level])


main()
