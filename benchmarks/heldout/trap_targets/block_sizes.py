"""Round allocation requests up to a power-of-two block size."""

MAX_BLOCK = 1 << 20


def round_up_sizes(sizes: list[int]) -> list[int]:
    out = []
    for n in sizes:
        if n > MAX_BLOCK:
            out.append(MAX_BLOCK)  # the allocator splits larger requests itself
            continue
        p = 1
        while p < n:
            p = p * 2
        out.append(p)
    return out
