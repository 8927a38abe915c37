"""The most frequent words of a text, ties broken alphabetically."""


def word_frequencies(text: str) -> list[tuple[str, int]]:
    words = text.lower().split()
    unique = []
    for word in words:
        if word not in unique:
            unique.append(word)
    pairs = [(word, words.count(word)) for word in unique]
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return pairs[:20]
