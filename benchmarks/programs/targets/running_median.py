"""The median of every prefix of a stream of readings."""


def running_median(values: list[int]) -> list[float]:
    medians = []
    for i in range(1, len(values) + 1):
        window = sorted(values[:i])
        mid = i // 2
        if i % 2:
            medians.append(float(window[mid]))
        else:
            medians.append((window[mid - 1] + window[mid]) / 2)
    return medians
