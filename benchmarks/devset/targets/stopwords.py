"""Keyword extraction for search indexing: drop stop words, keep content words."""

STOP_WORDS = ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "he",
              "in", "is", "it", "its", "of", "on", "that", "the", "to", "was", "were",
              "will", "with", "this", "but", "or", "not", "they", "we", "you", "i"]

PUNCTUATION = ".,;:!?\"'()[]"


def strip_punctuation(word):
    result = ""
    for ch in word:
        if ch not in PUNCTUATION:
            result += ch
    return result


def keywords(text):
    """Lowercased content words of text, in order, stop words removed."""
    words = []
    for raw in text.split():
        word = strip_punctuation(raw.lower())
        if word and word not in STOP_WORDS:
            words.append(word)
    return words


def keyword_counts(documents):
    """Total keyword frequency over a list of document strings."""
    counts = {}
    for doc in documents:
        for word in keywords(doc):
            if word in counts.keys():
                counts[word] = counts[word] + 1
            else:
                counts[word] = 1
    return counts
