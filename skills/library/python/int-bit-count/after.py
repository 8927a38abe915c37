"""Total Hamming distance between paired 64-bit fingerprints, via int.bit_count."""


def solve(xs, ys):
    total = 0
    for a, b in zip(xs, ys, strict=False):
        total += (a ^ b).bit_count()
    return total
