"""Count unique visitors in a page-view log (list of dicts)."""


def first_visits(views):
    """Keep the first view of each (ip, user_agent) pair, in log order."""
    seen = []
    firsts = []
    for view in views:
        key = (view["ip"], view["agent"])
        if key not in seen:
            seen.append(key)
            firsts.append(view)
    return firsts


def unique_pages(views):
    """Distinct page paths in order of first appearance."""
    pages = []
    for view in views:
        if view["path"] not in pages:
            pages = pages + [view["path"]]
    return pages
