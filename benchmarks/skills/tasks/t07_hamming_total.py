"""Total Hamming distance between paired integer fingerprints."""


def solve(left, right):
    distance = 0
    for a, b in zip(left, right, strict=True):
        distance += bin(a ^ b).count("1")
    return distance


TESTS = [(([1, 7], [0, 0]), 4), (([], []), 0)]


def bench_inputs():
    return [([i * 2654435761 % 2**32 for i in range(40000)], [i * 40503 % 2**32 for i in range(40000)])]
