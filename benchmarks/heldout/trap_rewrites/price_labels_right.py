"""Price labels such as 'EUR 1,234.50' for the shop's product cards."""


def format_prices(cents: list[int], currency: str) -> list[str]:
    labels = []
    for c in cents:
        whole, frac = divmod(abs(c), 100)
        labels.append(f"{currency} {'-' if c < 0 else ''}{whole:,}.{frac:02d}")
    return labels
