"""Pull request durations out of access-log lines."""

import re


def durations(lines):
    found = []
    for line in lines:
        pattern = re.compile(r"took (\d+)ms")
        m = pattern.search(line)
        if m:
            found.append(int(m.group(1)))
    return found
