"""Turn article titles into URL slugs for the blog's static site generator."""

import re


def slugify_all(titles):
    slugs = []
    for title in titles:
        pattern = re.compile(r"[^a-z0-9]+")
        lowered = title.strip().lower()
        slug = pattern.sub("-", lowered).strip("-")
        if not slug:
            slug = "untitled"
        slugs.append(slug)
    return slugs
