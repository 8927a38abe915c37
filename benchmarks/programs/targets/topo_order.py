"""A deterministic topological order (smallest ready node first) of a dependency graph."""


def topo_order(edges: list[tuple[int, int]]) -> list[int]:
    nodes = sorted({n for edge in edges for n in edge})
    indegree = {n: 0 for n in nodes}
    for a, b in edges:
        if a < b:
            indegree[b] += 1
    ready = [n for n in nodes if indegree[n] == 0]
    order = []
    while ready:
        node = min(ready)
        ready.remove(node)
        order.append(node)
        for a, b in edges:
            if a == node and a < b:
                indegree[b] -= 1
                if indegree[b] == 0:
                    ready.append(b)
    return order
