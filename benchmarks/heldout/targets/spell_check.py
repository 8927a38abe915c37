"""Suggest corrections one edit away from a known word."""

from dataclasses import dataclass

LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class SpellChecker:
    vocabulary: list[str]

    def suggest(self, word: str) -> list[str]:
        word = word.lower()
        if word in self.vocabulary:
            return [word]
        candidates = []
        for i in range(len(word) + 1):
            left, right = word[:i], word[i:]
            if right:
                candidates.append(left + right[1:])
            for ch in LETTERS:
                candidates.append(left + ch + right)
                if right:
                    candidates.append(left + ch + right[1:])
        found = []
        for c in candidates:
            if c in self.vocabulary and c not in found:
                found.append(c)
        return sorted(found)
