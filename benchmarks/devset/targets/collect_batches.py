"""Gather records from paged API responses into one list."""


def collect(pages):
    """pages: list of dicts with an 'items' list each; returns all items in page order."""
    everything = []
    for page in pages:
        everything = everything + page["items"]
    return everything


def ids_with_status(pages, wanted):
    """Ids of the items whose status equals `wanted`, across all pages."""
    ids = []
    for page in pages:
        for item in page["items"]:
            if item["status"] == wanted:
                ids = ids + [item["id"]]
    return ids


def running_counts(pages):
    """Cumulative number of items after each page."""
    counts = []
    for i in range(len(pages)):
        total = 0
        for page in pages[: i + 1]:
            total += len(page["items"])
        counts.append(total)
    return counts
