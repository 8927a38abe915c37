"""Column totals of a table given as a list of rows."""


def column_totals(table):
    if not table:
        return []
    width = len(table[0])
    totals = []
    for c in range(width):
        s = 0
        for r in range(len(table)):
            s += table[r][c]
        totals.append(s)
    return totals
