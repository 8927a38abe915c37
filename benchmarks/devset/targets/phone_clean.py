"""Normalize phone numbers typed by hand in a sign-up form."""

import re


def normalize_phones(raw_numbers, country_code="1"):
    """Strip punctuation, drop bad entries, return numbers as +CC-XXX-XXX-XXXX."""
    cleaned = []
    for raw in raw_numbers:
        digits = re.sub(r"[^0-9]", "", raw)
        if len(digits) == 11 and digits.startswith(country_code):
            digits = digits[1:]
        if len(digits) != 10:
            continue
        pattern = re.compile(r"^(\d{3})(\d{3})(\d{4})$")
        m = pattern.match(digits)
        if m:
            cleaned.append("+" + country_code + "-" + m.group(1) + "-" + m.group(2) + "-" + m.group(3))
    return cleaned


def count_extensions(raw_numbers):
    """How many entries carry an extension such as 'x123' or 'ext. 45'."""
    count = 0
    for raw in raw_numbers:
        if re.search(r"(x|ext\.?)\s*\d+", raw.lower()):
            count += 1
    return count
