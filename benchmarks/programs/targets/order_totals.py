"""Total value of orders (sku, quantity) priced from a catalogue of (sku, price)."""


def order_totals(orders: list[tuple[int, int]], catalogue: list[tuple[int, float]]) -> float:
    total = 0.0
    for sku, qty in orders:
        for item, price in catalogue:
            if item == sku:
                total += qty * price
                break
    return round(total, 6)
