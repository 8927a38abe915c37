"""Count the numbers below ``limit`` that are not blocked; blocked is a set built once."""


def solve(text, limit):
    blocked = {int(tok) for tok in text.split()}
    free = 0
    for i in range(limit):
        if i not in blocked:
            free += 1
    return free
