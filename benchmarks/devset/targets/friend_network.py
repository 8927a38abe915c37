"""Degrees of separation in a friendship graph stored as a dict of lists."""


def distances_from(graph, start):
    """Breadth-first search: dict person -> number of hops from start."""
    dist = {start: 0}
    queue = [start]
    while queue:
        person = queue.pop(0)
        for friend in graph.get(person, []):
            if friend not in dist:
                dist[friend] = dist[person] + 1
                queue.append(friend)
    return dist


def reachable_within(graph, start, hops):
    """Sorted list of people at most `hops` steps away from start (start excluded)."""
    visited = [start]
    frontier = [start]
    for _ in range(hops):
        nxt = []
        for person in frontier:
            for friend in graph.get(person, []):
                if friend not in visited:
                    visited.append(friend)
                    nxt.append(friend)
        frontier = nxt
    return sorted(visited[1:])
