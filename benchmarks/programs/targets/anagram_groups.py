"""Group words that are anagrams of each other; groups in order of first appearance."""


def anagram_groups(words: list[str]) -> list[list[str]]:
    groups = []
    for word in words:
        for group in groups:
            if sorted(group[0]) == sorted(word):
                group.append(word)
                break
        else:
            groups.append([word])
    return groups
