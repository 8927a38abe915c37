"""Scores of the users with the queried ids, found by scanning the user list per query."""

import random

BENCH_SIZE = 400


def make_input(size: int, rng: random.Random):
    users = [{"id": rng.randrange(2 * size + 1), "score": rng.randrange(100)} for i in range(size)]
    queries = [rng.randrange(2 * size + 1) for _ in range(size)]
    return (users, queries), {}


def solve(users: list[dict[str, int]], queries: list[int]):
    out = []
    for q in queries:
        for user in users:
            if user["id"] == q:
                out.append(user["score"])
                break
        else:
            out.append(None)
    return out
