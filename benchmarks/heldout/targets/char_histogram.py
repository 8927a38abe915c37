"""Character frequencies of a text, for the keyboard-layout experiment."""


def char_counts(text):
    counts = {}
    for ch in text:
        counts[ch] = text.count(ch)
    return counts
