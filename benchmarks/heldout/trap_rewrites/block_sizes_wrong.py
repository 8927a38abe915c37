"""Round allocation requests up to a power-of-two block size."""


def round_up_sizes(sizes: list[int]) -> list[int]:
    return [1 << (n - 1).bit_length() if n > 1 else 1 for n in sizes]
