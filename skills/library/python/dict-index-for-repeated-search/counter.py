"""Where the dict-index rule must not apply: each function breaks one precondition."""


def records_grow_during_the_queries(users: list[dict[str, int]], queries: list[int]):
    out = []
    for q in queries:
        for user in users:
            if user["id"] == q:
                out.append(user["score"])
                break
        else:
            users.append({"id": q, "score": 0})
    return out


def float_keys_match_nan_differently(points: list[float], probes: list[float]):
    hits = 0
    for p in probes:
        for x in points:
            if x == p:
                hits += 1
    return hits


def last_record_read_after_the_scan(users: list[dict[str, int]], queries: list[int]):
    last = []
    for q in queries:
        for user in users:
            if user["id"] == q:
                break
        last.append(user["score"])
    return last


def unknown_call_may_change_the_records(users: list[dict[str, int]], queries: list[int], log):
    out = []
    for q in queries:
        log(q)
        for user in users:
            if user["id"] == q:
                out.append(user["score"])
    return out
