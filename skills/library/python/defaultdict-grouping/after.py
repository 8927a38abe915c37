"""Words grouped by their length with setdefault: one lookup per word, no copies."""


def solve(words: list[str]):
    by_length = {}
    for word in words:
        by_length.setdefault(len(word), []).append(word)
    by_first = {}
    for word in words:
        if word:
            by_first.setdefault(word[0], []).append(word)
    return by_length, by_first
