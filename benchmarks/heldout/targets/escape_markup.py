"""Escape user comments before they are embedded in HTML."""

REPLACEMENTS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def escape_all(lines):
    out = ""
    for line in lines:
        escaped = ""
        for ch in line:
            if ch in REPLACEMENTS:
                escaped = escaped + REPLACEMENTS[ch]
            else:
                escaped = escaped + ch
        out = out + escaped + "\n"
    return out
