"""Where the de-duplication rule must not apply: each function breaks one precondition."""


def items_may_be_unhashable(rows):
    out = []
    for row in rows:
        if row not in out:
            out.append(row)
    return out


def output_list_is_given(ids: list[int], out):
    for x in ids:
        if x not in out:
            out.append(x)
    return out


def appends_something_else(ids: list[int]):
    out = []
    for x in ids:
        if x not in out:
            out.append(-x)
    return out
