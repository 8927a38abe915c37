"""The ten highest and the three lowest scores of many, with bounded heaps."""

import heapq


def solve(scores: list[int]):
    best = heapq.nlargest(10, scores)
    worst = heapq.nsmallest(3, scores)
    return best, worst
