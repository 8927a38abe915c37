"""Count vowels and remove digits from a text, one character at a time."""

import random
import string

BENCH_SIZE = 50000


def make_input(size: int, rng: random.Random):
    alphabet = string.ascii_lowercase + string.digits + "  "
    return ("".join(rng.choice(alphabet) for _ in range(size)),), {}


def solve(text):
    vowels = 0
    kept = []
    for ch in text:
        if ch in "aeiou":
            vowels += 1
        if not ("0" <= ch <= "9"):
            kept.append(ch)
    return vowels, "".join(kept)
