"""Round allocation requests up to a power-of-two block size."""

MAX_BLOCK = 1 << 20


def round_up_sizes(sizes: list[int]) -> list[int]:
    return [MAX_BLOCK if n > MAX_BLOCK else (1 << (n - 1).bit_length() if n > 1 else 1) for n in sizes]
