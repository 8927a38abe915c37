"""Export contact records (tuples) to CSV text, quoting fields when needed."""

SPECIAL = [",", '"', "\n"]


def quote_field(field):
    needs_quotes = False
    for ch in field:
        if ch in SPECIAL:
            needs_quotes = True
    if not needs_quotes:
        return field
    doubled = ""
    for ch in field:
        if ch == '"':
            doubled = doubled + '""'
        else:
            doubled = doubled + ch
    return '"' + doubled + '"'


def contacts_to_csv(contacts):
    """contacts: list of (name, email, city) tuples -> CSV text with a header line."""
    text = "name,email,city\n"
    for name, email, city in contacts:
        line = ""
        line = line + quote_field(name) + ","
        line = line + quote_field(email) + ","
        line = line + quote_field(city)
        text = text + line + "\n"
    return text
