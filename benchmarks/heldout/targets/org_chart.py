"""Depth of the org chart (a nested {"name": ..., "reports": [...]} document)."""


def depth(node):
    if not node.get("reports"):
        return 1
    deepest = 0
    for child in node["reports"]:
        if depth(child) > deepest:
            deepest = depth(child)
    return 1 + deepest
