"""Build a plain-text stock report from a dict of item -> quantity."""


def stock_report(stock, title):
    # header first, then one line per item
    text = title + "\n"
    text = text + "=" * len(title) + "\n"
    if not stock:
        return text + "(empty)\n"
    for item in stock:
        qty = stock[item]
        text = text + item + ": " + str(qty) + "\n"
    return text
