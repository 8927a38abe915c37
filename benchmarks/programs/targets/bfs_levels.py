"""Hop distances from the first node of an undirected graph given as an edge list."""


def bfs_levels(edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not edges:
        return []
    start = edges[0][0]
    dist = {start: 0}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for a, b in edges:
            for u, v in ((a, b), (b, a)):
                if u == node and v not in dist:
                    dist[v] = dist[node] + 1
                    queue.append(v)
    return sorted(dist.items())
