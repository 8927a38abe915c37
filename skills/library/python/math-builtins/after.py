"""Modular powers b**e mod m for many (b, e) pairs, with the built-in pow."""


def solve(pairs, mod):
    return [pow(b, e, mod) for b, e in pairs]
