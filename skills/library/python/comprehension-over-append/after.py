"""Parse whitespace-separated integers with a list comprehension."""


def solve(tokens):
    out = [int(tok) for tok in tokens]
    return out
