"""Count the ways to make change for an amount with a set of coins."""

COINS = (1, 5, 10, 25, 50)


def count_change(amount, coins=COINS):
    """Number of ways to pay `amount` cents using the given coin values."""
    return _count(amount, len(coins), coins)


def _count(amount, n, coins):
    if amount == 0:
        return 1
    if amount < 0 or n == 0:
        return 0
    # either use the last coin at least once, or never use it
    return _count(amount - coins[n - 1], n, coins) + _count(amount, n - 1, coins)
