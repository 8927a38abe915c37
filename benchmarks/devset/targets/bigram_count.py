"""Count word bigrams in text read from stdin; print the 10 most common."""

import sys


def tokenize(line):
    words = []
    word = ""
    for ch in line.lower():
        if ch.isalpha() or ch == "'":
            word += ch
        else:
            if word:
                words.append(word)
            word = ""
    if word:
        words.append(word)
    return words


def main():
    counts = {}
    previous = None
    for line in sys.stdin:
        for word in tokenize(line):
            if previous is not None:
                pair = previous + " " + word
                try:
                    counts[pair] += 1
                except KeyError:
                    counts[pair] = 1
            previous = word
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    ranked = sorted(ranked[:50], key=lambda kv: (-kv[1], kv[0]))
    for pair, n in ranked[:10]:
        print(n, pair)
    print("distinct", len(counts))


main()
