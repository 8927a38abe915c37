"""Print the 10 most frequent words of the text on stdin, counted with a dict loop.

Try it:  polca optimize examples/word_count.py --stdin examples/word_count.txt
The executable skill ``counter-for-counting`` replaces the loop with collections.Counter.
"""

import sys


def count_words(words):
    counts = {}
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
    return counts


def main():
    words = sys.stdin.read().lower().split()
    counts = count_words(words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    for word, count in ranked[:10]:
        print(f"{count:6d} {word}")


if __name__ == "__main__":
    main()
