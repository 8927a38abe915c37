"""Print the ten most frequent words of the text on stdin, with their counts."""

import sys

words = []
counts = []
for line in sys.stdin:
    for word in line.split():
        word = word.strip(".,;:!?\"'()").lower()
        if not word:
            continue
        if word in words:
            counts[words.index(word)] += 1
        else:
            words.append(word)
            counts.append(1)

pairs = sorted(zip(words, counts), key=lambda p: (-p[1], p[0]))
for word, count in pairs[:10]:
    print(f"{count:6d} {word}")
