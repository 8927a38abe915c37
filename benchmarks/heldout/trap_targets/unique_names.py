"""Customer names without case-insensitive duplicates, first spelling kept."""


def unique_names(names: list[str]) -> list[str]:
    keys = []
    result = []
    for name in names:
        key = name.casefold()
        if key not in keys:
            keys.append(key)
            result.append(name)
    return result
