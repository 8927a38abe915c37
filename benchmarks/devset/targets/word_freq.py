"""Word frequencies of a text, ignoring case and surrounding punctuation."""


def word_frequencies(text):
    freq = {}
    for raw in text.split():
        word = raw.strip(".,;:!?").lower()
        if not word:
            continue
        if word in freq:
            freq[word] += 1
        else:
            freq[word] = 1
    return freq
