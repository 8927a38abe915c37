"""Longest common prefix of each word with the word before it, summed over a word list."""


def common_prefix(words: list[str]) -> int:
    total = 0
    for i in range(1, len(words)):
        a, b = words[i - 1], words[i]
        k = 0
        while k < len(a) and k < len(b) and a[k] == b[k]:
            k += 1
        total += k
    return total
