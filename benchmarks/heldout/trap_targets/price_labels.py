"""Price labels such as 'EUR 1,234.50' for the shop's product cards."""


def format_prices(cents: list[int], currency: str) -> list[str]:
    labels = []
    for c in cents:
        sign = "-" if c < 0 else ""
        whole, frac = divmod(abs(c), 100)
        grouped = ""
        for i, ch in enumerate(reversed(str(whole))):
            if i and i % 3 == 0:
                grouped = "," + grouped
            grouped = ch + grouped
        labels.append(currency + " " + sign + grouped + "." + str(frac).zfill(2))
    return labels
