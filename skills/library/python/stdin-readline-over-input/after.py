"""Read n names (which may contain spaces), one per line, and print the longest."""

import sys


def main():
    readline = sys.stdin.readline
    n = int(readline())
    best = ""
    for _ in range(n):
        name = readline().strip()
        if len(name) > len(best):
            best = name
    print(best)


if __name__ == "__main__":
    main()
