"""How often each tag is used across blog posts, most used first."""


def tag_frequency(posts):
    all_tags = []
    for post in posts:
        for tag in post.get("tags", []):
            all_tags.append(tag.lower())
    result = []
    for tag in sorted(set(all_tags)):
        result.append((tag, all_tags.count(tag)))
    result.sort(key=lambda item: -item[1])
    return result
