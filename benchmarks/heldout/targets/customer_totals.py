"""Revenue per customer from the shop's order export (a list of JSON records)."""


def totals_by_customer(orders: list[dict]) -> dict:
    customers = []
    for order in orders:
        if order["customer"] not in customers:
            customers.append(order["customer"])
    totals = {}
    for customer in customers:
        total = 0
        for order in orders:
            if order["customer"] == customer:
                total += order["quantity"] * order["unit_cents"]
        totals[customer] = total
    return totals
