"""The k-th best score for each query k, sorting the scores once."""


def solve(scores: list[int], queries: list[int]):
    ranked = sorted(scores, reverse=True)
    return [ranked[k] for k in queries]
