"""Profile a text one character at a time: spaces, vowels, an upper-case copy, a
digit-free copy, whether a code is all digits and where the first comma is."""

import random
import string

BENCH_SIZE = 50000


def make_input(size: int, rng: random.Random):
    alphabet = string.ascii_lowercase + string.digits + "  ,"
    text = "".join(rng.choice(alphabet) for _ in range(size))
    code = "".join(rng.choice(string.digits) for _ in range(size // 10)) + rng.choice(["", "x"])
    return (text, code), {}


def is_number(code: str) -> bool:
    for ch in code:
        if not ch.isdigit():
            return False
    return True


def first_comma(text: str) -> int:
    for i, ch in enumerate(text):
        if ch == ",":
            return i
    return -1


def solve(text: str, code: str):
    spaces = 0
    for ch in text:
        if ch == " ":
            spaces += 1
    vowels = 0
    for ch in text:
        if ch in "aeiou":
            vowels += 1
    shout = ""
    for ch in text:
        shout += ch.upper()
    dashed = ""
    for ch in text:
        if ch == " ":
            dashed += "-"
        else:
            dashed += ch
    return spaces, vowels, len(shout), dashed[:50], is_number(code), first_comma(text)
