"""Where the Counter rule must not apply: each function breaks one precondition."""


def counts_a_derived_key(words):
    counts = {}
    for word in words:
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return counts


def also_tracks_order(words):
    counts = {}
    order = []
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
            order.append(word)
    return counts, order


def starts_from_existing_counts(words, counts):
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    return counts
