"""Rank customers by spend."""


def spend_by_customer(orders):
    """orders: list of dicts with 'customer' and 'total' -> dict customer -> spend."""
    spend = {}
    for order in orders:
        name = order["customer"]
        spend[name] = spend.get(name, 0) + order["total"]
    return spend


def top_customers(orders, k=5):
    """The k biggest spenders as (customer, spend), biggest first, ties by name."""
    spend = spend_by_customer(orders)
    ranked = sorted(spend.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:k]


def biggest_order(orders):
    """The single order with the highest total."""
    if not orders:
        return None
    return sorted(orders, key=lambda o: o["total"])[-1]
