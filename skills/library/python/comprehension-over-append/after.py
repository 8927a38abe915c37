"""Strip the padding of every line with map over the C-implemented str.strip."""


def solve(lines):
    return list(map(str.strip, lines))
