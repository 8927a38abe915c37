"""Profile a text with str methods: spaces, vowels, an upper-case copy, a digit-free
copy, whether a code is all digits and where the first comma is."""


def is_number(code: str) -> bool:
    return code.isdigit() or not code


def first_comma(text: str) -> int:
    return text.find(",")


def solve(text: str, code: str):
    spaces = text.count(" ")
    vowels = sum(map(text.count, "aeiou"))
    shout = text.upper()
    dashed = text.replace(" ", "-")
    return spaces, vowels, len(shout), dashed[:50], is_number(code), first_comma(text)
