"""Read n pairs of integers from stdin, one input() per line, and print the dot product."""

import random

BENCH_SIZE = 8000


def make_stdin(size: int, rng: random.Random) -> str:
    lines = [str(size)] + [f"{rng.randrange(-999, 1000)} {rng.randrange(-999, 1000)}" for _ in range(size)]
    return "\n".join(lines) + "\n"


def main():
    n = int(input())
    total = 0
    for _ in range(n):
        a, b = map(int, input().split())
        total += a * b
    print(total)


if __name__ == "__main__":
    main()
