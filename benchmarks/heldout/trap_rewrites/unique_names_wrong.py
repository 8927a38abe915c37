"""Customer names without case-insensitive duplicates, first spelling kept."""


def unique_names(names: list[str]) -> list[str]:
    seen = set()
    result = []
    for name in names:
        key = name.lower()
        if key not in seen:
            seen.add(key)
            result.append(name)
    return result
