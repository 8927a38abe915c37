"""Where the character-loop rule must not apply: each function breaks one precondition."""


def counts_a_substring(text: str) -> int:
    n = 0
    for ch in text:
        if ch == "ab":
            n += 1
    return n


def repeated_characters_in_the_set(text: str) -> int:
    n = 0
    for ch in text:
        if ch in "aa":
            n += 1
    return n


def lower_depends_on_context(text: str) -> str:
    out = ""
    for ch in text:
        out += ch.lower()
    return out


def items_may_not_be_characters(words) -> int:
    n = 0
    for w in words:
        if w == "a":
            n += 1
    return n


def reads_the_loop_variable_after(text: str):
    n = 0
    for ch in text:
        if ch == "a":
            n += 1
    return n, ch
