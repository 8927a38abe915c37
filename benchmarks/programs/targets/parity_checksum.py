"""A checksum: total number of set bits over a list of words."""


def parity_checksum(words: list[int]) -> int:
    total = 0
    for word in words:
        x = abs(word) * 2654435761 % (1 << 64)
        while x:
            total += x & 1
            x >>= 1
    return total
