"""Keep the records whose tag is one of the allowed tags."""


def keep_allowed(records, allowed_tags):
    kept = []
    for rec in records:
        tag = rec["tag"]
        if tag in allowed_tags:
            kept.append(rec["id"])
    return kept
