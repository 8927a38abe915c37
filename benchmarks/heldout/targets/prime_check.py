"""Read integers from stdin, one per line, and say which are prime."""

import sys


def is_prime(n):
    if n < 2:
        return False
    for d in range(2, n):
        if n % d == 0:
            return False
    return True


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    n = int(line)
    print(n, "prime" if is_prime(n) else "composite")
