"""Where the bulk-read rule must not apply: the module also reads stdin another way."""

import sys


def main():
    n = int(input())
    rest = sys.stdin.read().split()
    print(n, len(rest))


if __name__ == "__main__":
    main()
