"""The k best-selling products."""


def top_products(sales, k):
    ranked = sorted(sales.items(), key=lambda kv: kv[1], reverse=True)
    return [name for name, _ in ranked[:k]]
