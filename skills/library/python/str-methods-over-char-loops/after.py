"""Count vowels and remove digits from a text with str.count and str.translate."""

_DROP_DIGITS = str.maketrans("", "", "0123456789")


def solve(text):
    vowels = sum(map(text.count, "aeiou"))
    return vowels, text.translate(_DROP_DIGITS)
