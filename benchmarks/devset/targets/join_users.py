"""Attach the user's name to each order (a nested-loop join)."""


def orders_with_names(orders, users):
    out = []
    for order in orders:
        name = "unknown"
        for user in users:
            if user["id"] == order["user_id"]:
                name = user["name"]
                break
        out.append((order["id"], name))
    return out
