"""A tiny full-text index over support articles."""


class TextIndex:
    def __init__(self, docs: list[str]) -> None:
        self.docs = list(docs)

    def search(self, query: str) -> list[int]:
        """Ids of the documents that contain every word of the query, in id order."""
        words = query.lower().split()
        hits = []
        for ident, doc in enumerate(self.docs):
            tokens = doc.lower().split()
            if all(word in tokens for word in words):
                hits.append(ident)
        return hits

    def search_many(self, queries: list[str]) -> list[list[int]]:
        return [self.search(q) for q in queries]
