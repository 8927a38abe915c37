"""Apply a day's orders to the warehouse stock and list what must be re-ordered."""


def restock_list(stock: dict[str, int], orders: list[dict], threshold: int) -> list[str]:
    levels = dict(stock)
    for order in orders:
        for sku in list(levels.keys()):
            if sku == order["sku"]:
                levels[sku] = levels[sku] - order["qty"]
    low = []
    for sku in levels:
        if levels[sku] < threshold:
            low.append(sku)
    return sorted(low)
