"""Number of connected components among the nodes named in an edge list."""


def component_count(edges: list[tuple[int, int]]) -> int:
    label = {}
    for a, b in edges:
        label.setdefault(a, a)
        label.setdefault(b, b)
    for a, b in edges:
        la, lb = label[a], label[b]
        if la != lb:
            for node in label:
                if label[node] == lb:
                    label[node] = la
    return len(set(label.values()))
