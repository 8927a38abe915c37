"""Read stock movements 'sku delta' from stdin; print the final stock per sku, sorted."""

import sys

stock = []
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 2:
        continue
    sku, delta = parts[0], int(parts[1])
    for entry in stock:
        if entry[0] == sku:
            entry[1] += delta
            break
    else:
        stock.append([sku, delta])
for sku, amount in sorted(stock):
    print(sku, amount)
