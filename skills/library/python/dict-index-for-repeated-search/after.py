"""Scores of the users with the queried ids, through an id index built once."""


def solve(users: list[dict[str, int]], queries: list[int]):
    index = {}
    for user in users:
        index.setdefault(user["id"], user)  # keep the first user per id, as the scan did
    return [index[q]["score"] if q in index else None for q in queries]
