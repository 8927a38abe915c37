"""A warehouse stock list with lookups by SKU and low-stock checks."""


class Warehouse:
    def __init__(self, items):
        # items: list of dicts with 'sku', 'name', 'qty', 'reorder_at'
        self.items = [dict(item) for item in items]

    def find(self, sku):
        for i in range(len(self.items)):
            if self.items[i]["sku"] == sku:
                return self.items[i]
        return None

    def receive(self, shipments):
        """shipments: list of (sku, qty). Unknown SKUs are returned, sorted."""
        unknown = []
        for sku, qty in shipments:
            item = self.find(sku)
            if item is None:
                unknown.append(sku)
            else:
                item["qty"] = item["qty"] + qty
        return sorted(unknown)

    def low_stock(self):
        names = []
        for i in range(len(self.items)):
            if self.items[i]["qty"] <= self.items[i]["reorder_at"]:
                names.append(self.items[i]["name"])
        return names

    def total_units(self):
        total = 0
        for item in self.items:
            total = total + item["qty"]
        return total
