"""Tags of a post without repeats, in the order the author typed them."""


def unique_tags(tags: list[str]) -> list[str]:
    result = []
    for tag in tags:
        if tag not in result:
            result.append(tag)
    return result
