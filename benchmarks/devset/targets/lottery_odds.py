"""Odds for a pick-k lottery and rows of Pascal's triangle, computed by hand."""


def factorial(n):
    result = 1
    for i in range(2, n + 1):
        result = result * i
    return result


def comb(n, k):
    if k < 0 or k > n:
        return 0
    return factorial(n) // (factorial(k) * factorial(n - k))


def pascal_row(n):
    """Row n of Pascal's triangle as a list."""
    row = []
    for k in range(n + 1):
        row.append(comb(n, k))
    return row


def prize_table(pool, picks):
    """For each number of matches m, the count of tickets matching exactly m of `picks`."""
    table = []
    for m in range(picks + 1):
        table.append(comb(picks, m) * comb(pool - picks, picks - m))
    return table
