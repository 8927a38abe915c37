"""Price labels such as 'EUR 1,234.50' for the shop's product cards."""

_LABELS: dict[int, str] = {}


def format_prices(cents: list[int], currency: str) -> list[str]:
    labels = []
    for c in cents:
        label = _LABELS.get(c)
        if label is None:
            whole, frac = divmod(abs(c), 100)
            label = f"{currency} {'-' if c < 0 else ''}{whole:,}.{frac:02d}"
            _LABELS[c] = label
        labels.append(label)
    return labels
