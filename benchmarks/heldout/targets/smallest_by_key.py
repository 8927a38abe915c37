"""The k items with the smallest key, in key order (ties keep input order)."""


def smallest_k(items, k, key):
    pool = list(items)
    chosen = []
    while pool and len(chosen) < k:
        best_index = 0
        for i in range(1, len(pool)):
            if key(pool[i]) < key(pool[best_index]):
                best_index = i
        chosen.append(pool.pop(best_index))
    return chosen
