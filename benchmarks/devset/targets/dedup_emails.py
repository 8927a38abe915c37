"""Drop repeated e-mail addresses (case-insensitive), keeping the first spelling."""


def unique_emails(emails):
    seen = []
    result = []
    for addr in emails:
        key = addr.lower()
        if key in seen:
            continue
        seen.append(key)
        result.append(addr)
    return result
