"""Multiply two matrices given as lists of rows (no numpy on the target device)."""


def matmul(a, b):
    n_cols = len(b[0]) if b else 0
    result = []
    for row in a:
        out_row = []
        for j in range(n_cols):
            column = [b_row[j] for b_row in b]
            total = 0
            for x, y in zip(row, column):
                total += x * y
            out_row.append(total)
        result.append(out_row)
    return result
