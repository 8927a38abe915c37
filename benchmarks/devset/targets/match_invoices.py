"""Reconcile bank payments against open invoices."""


def reconcile(invoices, payments):
    """invoices: list of (number, customer, amount); payments: list of (reference, amount).

    Returns (matched, unmatched_payments): matched holds (number, customer, paid, balance).
    """
    matched = []
    unmatched = []
    for ref, paid in payments:
        found = False
        for number, customer, amount in invoices:
            if number == ref:
                matched.append((number, customer, paid, round(amount - paid, 2)))
                found = True
                break
        if not found:
            unmatched.append(ref)
    return matched, unmatched


def customers_with_payments(invoices, payments):
    """Customer names that have at least one payment, sorted."""
    names = []
    for number, customer, _ in invoices:
        for ref, _ in payments:
            if ref == number and customer not in names:
                names.append(customer)
    names.sort()
    return names
