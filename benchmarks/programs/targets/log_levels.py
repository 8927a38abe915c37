"""Read log lines from stdin; print how many lines each level has, and the busiest hour."""

import re
import sys

levels = {}
hours = {}
for line in sys.stdin.read().splitlines():
    match = re.search(r"^(\d\d):\d\d:\d\d \[(\w+)\]", line)
    if not match:
        continue
    hour, level = match.group(1), match.group(2)
    levels[level] = levels.get(level, 0) + 1
    hours[hour] = hours.get(hour, 0) + 1
for level in sorted(levels):
    print(level, levels[level])
if hours:
    print("busiest", max(sorted(hours), key=lambda h: hours[h]))
