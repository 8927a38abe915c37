"""Group order amounts by customer."""


def amounts_by_customer(orders):
    groups = {}
    for order in orders:
        cust = order["customer"]
        if cust not in groups:
            groups[cust] = []
        groups[cust].append(order["amount"])
    return groups
