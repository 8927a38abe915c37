"""Count students per grade band from a name -> score map."""


def bucket_counts(scores: dict[str, float], edges: list[float]) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for name in scores:
        score = scores[name]
        placed = False
        for i in range(len(edges)):
            if score < edges[i]:
                counts[i] += 1
                placed = True
                break
        if not placed:
            counts[len(edges)] += 1
    return counts
