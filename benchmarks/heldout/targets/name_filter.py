"""Autocomplete: the names that start with a prefix, sorted, at most `limit` of them."""


def complete(names: list[str], prefix: str | None, limit: int | None) -> str:
    matches = []
    for name in names:
        if prefix is None or name.startswith(prefix):
            matches.append(name)
            matches = sorted(matches)
    if limit is not None:
        matches = matches[:limit]
    text = ""
    for name in matches:
        text += name + ","
    return text.rstrip(",")
