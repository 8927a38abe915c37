"""Split log lines into (level, code) with a pattern compiled once at import."""

import re

_LEVEL_CODE = re.compile(r"([A-Z]+):(\d+)")


def solve(lines):
    out = []
    for line in lines:
        found = _LEVEL_CODE.match(line)
        out.append((found.group(1), int(found.group(2))) if found else None)
    return out
