"""Print the square of each integer read from stdin, written in one call."""

import sys


def main():
    values = list(map(int, sys.stdin.read().split()))
    out = [str(x * x) for x in values]
    if out:
        sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
