"""Tokenize arithmetic expressions into numbers, names and operators."""

import re


def tokenize_expr(text: str) -> list[str]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = re.match(r"\s*(\d+\.?\d*|[A-Za-z_]\w*|\*\*|[-+*/()=])", text[pos:])
        if not match:
            pos += 1
            continue
        tokens.append(match.group(1))
        pos += match.end()
    return tokens
