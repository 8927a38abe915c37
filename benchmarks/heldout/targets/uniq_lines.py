"""Like `uniq` but for unsorted input: print each distinct line once, in first-seen order."""

import sys

seen = []
output = ""
for line in sys.stdin.read().splitlines():
    if line not in seen:
        seen.append(line)
        output = output + line + "\n"
sys.stdout.write(output)
