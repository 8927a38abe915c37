"""Number of sessions per user: a new session starts after a gap of more than `gap` seconds."""


def sessions_per_user(events: dict[str, list[int]], gap: int) -> dict[str, int]:
    result = {}
    for user, stamps in events.items():
        sessions = 0
        previous = None
        for i in range(len(stamps)):
            current = sorted(stamps)[i]
            if previous is None or current - previous > gap:
                sessions += 1
            previous = current
        result[user] = sessions
    return result
