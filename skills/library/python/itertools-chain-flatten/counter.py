"""Where the flatten rule must not apply: each function breaks one precondition."""


def transforms_elements(rows):
    out = []
    for row in rows:
        for x in row:
            out.append(x * 2)
    return out


def filters_rows(rows):
    out = []
    for row in rows:
        if row:
            out.extend(row)
    return out


def appends_to_existing_list(rows, out):
    for row in rows:
        for x in row:
            out.append(x)
    return out
