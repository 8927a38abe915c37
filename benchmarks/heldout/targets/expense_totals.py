"""Sum a CSV of expenses (name,amount_cents) per person and print the totals, largest first."""

import sys


def main():
    names = []
    totals = []
    header = True
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        if header:
            header = False
            continue
        name, cents = line.rsplit(",", 1)
        name = name.strip()
        found = False
        for i in range(len(names)):
            if names[i] == name:
                totals[i] += int(cents)
                found = True
        if not found:
            names.append(name)
            totals.append(int(cents))
    rows = sorted(zip(names, totals), key=lambda r: (-r[1], r[0]))
    out = ""
    for name, total in rows:
        out += f"{name}\t{total // 100}.{total % 100:02d}\n"
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
