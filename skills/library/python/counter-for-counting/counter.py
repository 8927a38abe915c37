"""Where the Counter rule must not apply: each function breaks one precondition."""


def counts_an_expression_key_evaluated_twice(words):
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


def reads_partial_counts(words):
    counts = {}
    for word in words:
        key = word.lower()
        if key in counts and counts[key] >= 3:
            continue
        counts[key] = counts.get(key, 0) + 1
    return counts


def keeps_the_derived_key(words):
    counts = {}
    for word in words:
        key = word.lower()
        counts[key] = counts.get(key, 0) + 1
    return counts, key
