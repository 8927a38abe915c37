"""A small inventory with lookups by SKU."""


class Inventory:
    def __init__(self, items):
        # items: list of (sku, price) pairs
        self.items = list(items)

    def price_of(self, sku):
        for s, p in self.items:
            if s == sku:
                return p
        return None

    def basket_total(self, skus):
        total = 0
        for sku in skus:
            price = self.price_of(sku)
            if price is not None:
                total += price
        return total
