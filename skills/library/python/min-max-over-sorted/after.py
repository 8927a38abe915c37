"""The spread of readings and the shortest label, found in single passes."""


def solve(readings: list[int], labels: list[str]):
    if not readings:
        return None
    low = min(readings)
    high = max(readings)
    shortest = min(labels, key=len) if labels else ""
    return high - low, shortest
