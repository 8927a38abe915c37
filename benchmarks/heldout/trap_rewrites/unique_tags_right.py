"""Tags of a post without repeats, in the order the author typed them."""


def unique_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))
