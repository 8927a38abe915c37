"""Read n names (which may contain spaces), one per line, and print the longest."""

import random

BENCH_SIZE = 10000


def make_stdin(size: int, rng: random.Random) -> str:
    names = [
        " ".join("ab"[rng.randrange(2)] * rng.randrange(1, 6) for _ in range(rng.randrange(1, 4)))
        for _ in range(size)
    ]
    return "\n".join([str(size), *names]) + "\n"


def main():
    n = int(input())
    best = ""
    for _ in range(n):
        name = input().strip()
        if len(name) > len(best):
            best = name
    print(best)


if __name__ == "__main__":
    main()
