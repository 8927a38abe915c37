"""Most common words of a document, for the search page's keyword cloud."""


def top_words(text: str, k):
    counts = []
    for word in text.lower().split():
        for pair in counts:
            if pair[0] == word:
                pair[1] += 1
                break
        else:
            counts.append([word, 1])
    counts.sort(key=lambda pair: (-pair[1], pair[0]))
    return [(word, n) for word, n in counts[:k]]
