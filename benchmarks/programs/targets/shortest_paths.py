"""Read a weighted graph from stdin ('n m' then m lines 'u v w'); print distances from node 0."""


def dijkstra(n, adjacency):
    dist = [None] * n
    dist[0] = 0
    done = [False] * n
    for _ in range(n):
        best = None
        for v in range(n):
            if not done[v] and dist[v] is not None and (best is None or dist[v] < dist[best]):
                best = v
        if best is None:
            break
        done[best] = True
        for v, w in adjacency[best]:
            if dist[v] is None or dist[best] + w < dist[v]:
                dist[v] = dist[best] + w
    return dist


def main():
    n, m = map(int, input().split())
    adjacency = [[] for _ in range(n)]
    for _ in range(m):
        u, v, w = map(int, input().split())
        adjacency[u].append((v, w))
        adjacency[v].append((u, w))
    for d in dijkstra(n, adjacency):
        print(-1 if d is None else d)


main()
