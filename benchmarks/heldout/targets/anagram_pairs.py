"""Count pairs of words that are anagrams of each other (word-game statistics)."""


def count_anagram_pairs(words):
    count = 0
    for i in range(len(words)):
        for j in range(i + 1, len(words)):
            if sorted(words[i]) == sorted(words[j]):
                count += 1
    return count
