"""Account statements: running balances and period totals."""


def running_balances(opening, amounts):
    """Balance after each transaction."""
    balances = []
    for i in range(len(amounts)):
        balances.append(opening + sum(amounts[: i + 1]))
    return balances


def flatten_statements(statements):
    """statements: list of lists of amounts (one per month) -> one flat list."""
    flat = []
    for month in statements:
        for amount in month:
            flat.append(amount)
    return flat


def lowest_balance(opening, statements):
    """The lowest running balance over all months."""
    balances = running_balances(opening, flatten_statements(statements))
    low = opening
    for b in balances:
        if b < low:
            low = b
    return low
