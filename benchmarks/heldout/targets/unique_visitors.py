"""Visitor ids in order of their first visit, for the analytics export."""


def unique_in_order(visits):
    seen = []
    for visitor in visits:
        if visitor not in seen:
            seen.append(visitor)
    return seen
