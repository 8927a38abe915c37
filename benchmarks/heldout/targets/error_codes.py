"""Count HTTP error status codes in an access log read from stdin."""

import re
import sys


def count_errors(lines):
    counts = {}
    for line in lines:
        pattern = re.compile(r'" (\d{3}) ')
        match = pattern.search(line)
        if not match:
            continue
        code = match.group(1)
        if code.startswith(("4", "5")):
            counts[code] = counts.get(code, 0) + 1
    return counts


if __name__ == "__main__":
    result = count_errors(sys.stdin.readlines())
    for code in sorted(result):
        print(code, result[code])
