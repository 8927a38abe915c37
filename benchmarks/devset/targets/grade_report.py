"""Read 'name subject score' lines from stdin and print a per-student report card."""

import sys

PASSING = ("A", "B", "C")


def letter(score):
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    if score >= 60:
        return "D"
    return "F"


def main():
    students = {}
    order = []
    for line in sys.stdin.read().splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        name, subject, score = parts[0], parts[1], int(parts[2])
        if name not in order:
            order.append(name)
            students[name] = []
        students[name].append((subject, score))
    report = ""
    for name in order:
        marks = students[name]
        best = marks[0]
        for m in marks:
            if m[1] > best[1]:
                best = m
        passed = 0
        for m in marks:
            if letter(m[1]) in PASSING:
                passed = passed + 1
        report = report + name + ": " + str(len(marks)) + " subjects, " + str(passed) + " passed, best " + best[0] + "\n"
    sys.stdout.write(report)


main()
