"""Where the grouping rule must not apply: each function breaks one precondition."""


def key_with_side_effects(words: list[str], keys):
    groups = {}
    for word in words:
        if next(keys) not in groups:
            groups[next(keys)] = []
        groups[next(keys)].append(word)
    return groups


def old_bucket_still_held(words: list[str]):
    groups = {}
    held = []
    for word in words:
        if word:
            held.append(groups.get(word[0], []))
            groups[word[0]] = groups.get(word[0], []) + [word]
    return groups, held


def mapping_of_unknown_type(words: list[str], groups):
    for word in words:
        if word not in groups:
            groups[word] = []
        groups[word].append(word)
    return groups
