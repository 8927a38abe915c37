"""Invert a document -> keywords map into keyword -> documents for the search box."""


def invert(index: dict[str, list[str]]) -> dict[str, list[str]]:
    inverted = {}
    for doc, keywords in index.items():
        for word in keywords:
            if word not in inverted:
                inverted[word] = []
            if doc not in inverted[word]:
                inverted[word].append(doc)
    for word in inverted:
        inverted[word] = sorted(inverted[word])
    return inverted
