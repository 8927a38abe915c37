"""Merge overlapping booking intervals (start, end) into disjoint blocks."""


def merge_intervals(intervals):
    remaining = [list(iv) for iv in intervals]
    merged = []
    while remaining:
        first = sorted(remaining)[0]
        remaining.remove(first)
        if merged and first[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], first[1])
        else:
            merged.append(first)
    return [tuple(block) for block in merged]
