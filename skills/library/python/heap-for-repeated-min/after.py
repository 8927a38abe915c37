"""Least total cost of joining ropes two at a time, with a binary heap."""

import heapq


def solve(sizes: list[int]):
    sizes = list(sizes)
    heapq.heapify(sizes)
    cost = 0
    while len(sizes) > 1:
        a = heapq.heappop(sizes)
        b = heapq.heappop(sizes)
        cost += a + b
        heapq.heappush(sizes, a + b)
    return cost
