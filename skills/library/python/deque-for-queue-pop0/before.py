"""Breadth-first distances in a random graph, with a list used as the queue."""

import random

BENCH_SIZE = 10000


def make_input(size: int, rng: random.Random):
    """A hub (node 0) linked to every node, plus two random edges per node: the queue
    holds most of the graph at once, as in BFS over a wide frontier."""
    n = max(size, 1)
    hub = list(range(1, n))
    rng.shuffle(hub)
    adj = [hub] + [[rng.randrange(n), rng.randrange(n)] for _ in range(n - 1)]
    return (adj, 0), {}


def solve(adj, start):
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
