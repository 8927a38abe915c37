"""Count the digits in a piece of text."""


def digit_count(text):
    n = 0
    for ch in text:
        if ch in "0123456789":
            n += 1
    return n
