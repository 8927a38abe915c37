"""Simulate a help-desk queue read from stdin.

First line: number of agents. Then one event per line: 'open ID PRIORITY' or 'close'.
'close' resolves the oldest open ticket among the highest priority present.
Prints each resolved ticket and, at the end, how many are still open per priority
and the oldest few of each.
"""

import sys

PRIORITIES = ["urgent", "high", "normal", "low"]


def main():
    lines = sys.stdin.read().split("\n")
    agents = int(lines[0])
    queues = {p: [] for p in PRIORITIES}
    resolved = 0
    out = []
    for line in lines[1:]:
        if line.startswith("open"):
            _, ticket, priority = line.split()
            if priority not in PRIORITIES:
                priority = "normal"
            queues[priority].append(ticket)
        elif line == "close":
            for p in PRIORITIES:
                if len(queues[p]) > 0:
                    ticket = queues[p].pop(0)
                    resolved += 1
                    out.append("agent " + str(resolved % agents) + " closed " + ticket + " (" + p + ")")
                    break
    for line in out:
        print(line)
    for p in PRIORITIES:
        print(p, len(queues[p]), "open, oldest:", " ".join(queues[p][:5]))


main()
