"""Normalise a mailing list: lower-case, trim, keep the first occurrence of each address."""


def dedupe_emails(emails: list[str]) -> list[str]:
    seen = []
    for email in emails:
        key = email.strip().lower()
        if key not in seen:
            seen.append(key)
    return seen
