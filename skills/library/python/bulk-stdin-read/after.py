"""Read n pairs of integers from stdin in one read, and print the dot product."""

import sys


def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    values = list(map(int, data[1 : 1 + 2 * n]))
    print(sum(a * b for a, b in zip(values[0::2], values[1::2], strict=True)))


if __name__ == "__main__":
    main()
