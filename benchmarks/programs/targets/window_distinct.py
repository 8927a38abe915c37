"""Number of distinct product ids in every window of k consecutive views."""


def window_distinct(views: list[int], k: int) -> list[int]:
    k = max(1, abs(k))
    return [len(set(views[i:i + k])) for i in range(len(views) - k + 1)]
