"""Energy of an integer audio signal: the sum of squared samples."""


def energy(samples: list[int]) -> int:
    total = 0
    for i in range(len(samples)):
        total = total + pow(samples[i], 2)
    return total
