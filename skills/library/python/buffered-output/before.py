"""Print the square of each integer read from stdin, one print() per line."""

import random
import sys

BENCH_SIZE = 10000


def make_stdin(size: int, rng: random.Random) -> str:
    return " ".join(str(rng.randrange(-10**6, 10**6)) for _ in range(size)) + "\n"


def main():
    values = list(map(int, sys.stdin.read().split()))
    for x in values:
        print(x * x)


if __name__ == "__main__":
    main()
