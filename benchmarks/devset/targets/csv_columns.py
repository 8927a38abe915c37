"""Read comma-separated numbers from stdin and print the sum of each column."""

import sys


def main():
    n = int(input())
    sums = None
    for _ in range(n):
        parts = input().split(",")
        values = [float(p) for p in parts]
        if sums is None:
            sums = [0.0] * len(values)
        for j in range(len(values)):
            sums[j] += values[j]
    if sums is None:
        print("no rows")
        return
    for j, s in enumerate(sums):
        print("column", j, "=", round(s, 3))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
