"""Breadth-first hop counts over a wide graph, with a list used as the queue.

Try it:  polca optimize examples/bfs_hops.py --top 1
The executable skill ``deque-for-queue-pop0`` makes each pop from the front O(1).
"""

import sys


def hops(adj, start):
    """Hop count from ``start`` to every node (-1 when unreachable)."""
    dist = [-1] * len(adj)
    dist[start] = 0
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in adj[node]:
            if dist[nxt] < 0:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist


def wide_graph(n):
    """Node 0 links to every node; node i also links to two others, chosen arithmetically."""
    adj = [list(range(1, n))]
    for i in range(1, n):
        adj.append([(i * 7 + 3) % n, (i * 13 + 5) % n])
    return adj


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    dist = hops(wide_graph(n), 0)
    print(f"{n} nodes, farthest at {max(dist)} hops, {dist.count(1)} at one hop")


if __name__ == "__main__":
    main()
