"""Drop items already shipped in an earlier batch (batches are lists of item codes)."""


def new_items_per_batch(batches: list[list[str]]) -> list[list[str]]:
    result = []
    for index, batch in enumerate(batches):
        fresh = []
        for item in batch:
            seen_before = False
            for earlier in batches[:index]:
                if item in earlier:
                    seen_before = True
            if not seen_before and item not in fresh:
                fresh.append(item)
        result.append(fresh)
    return result
