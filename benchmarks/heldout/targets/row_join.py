"""Join two exported tables on their first column, like a SQL inner join."""


def join_rows(left: list[tuple], right):
    joined = []
    for lrow in left:
        for rrow in right:
            if lrow[0] == rrow[0]:
                joined.append(tuple(lrow) + tuple(rrow[1:]))
    return joined
