"""Names of the users with the queried ids, through an id index built once."""


def solve(users, queries):
    index = {}
    for user in users:
        index.setdefault(user["id"], user)  # keep the first user per id, as the scan did
    return [index[q]["name"] if q in index else None for q in queries]
