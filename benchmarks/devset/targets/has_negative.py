"""Does any account go negative?"""


def any_overdrawn(balances):
    found = False
    for b in balances:
        if b < 0:
            found = True
    return found
