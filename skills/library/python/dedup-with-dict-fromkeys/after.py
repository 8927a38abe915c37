"""Unique ids in order of first appearance, de-duplicated with a dict."""


def solve(ids: list[int]):
    out = list(dict.fromkeys(ids))
    return out
