"""Group the words on stdin into anagram classes; print classes of two or more words."""

import sys


def main():
    words = sys.stdin.read().split()
    groups = []
    for word in words:
        placed = False
        for group in groups:
            if sorted(group[0]) == sorted(word):
                if word not in group:
                    group.append(word)
                placed = True
                break
        if not placed:
            groups.append([word])
    for group in groups:
        if len(group) > 1:
            print(" ".join(sorted(group)))


main()
