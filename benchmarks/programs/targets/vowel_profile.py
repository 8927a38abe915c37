"""Count each vowel in a text."""


def vowel_profile(text: str) -> dict[str, int]:
    counts = {}
    for vowel in "aeiou":
        n = 0
        for ch in text:
            if ch == vowel:
                n += 1
        counts[vowel] = n
    return counts
