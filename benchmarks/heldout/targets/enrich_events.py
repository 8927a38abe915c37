"""Attach the user's country and plan to each tracking event."""


def enrich(events, users):
    enriched = []
    for event in events:
        match = None
        for user in users:
            if user["id"] == event["user_id"]:
                match = user
                break
        record = dict(event)
        if match is None:
            record["country"] = None
            record["plan"] = None
        else:
            record["country"] = match["country"]
            record["plan"] = match["plan"]
        enriched.append(record)
    return enriched
