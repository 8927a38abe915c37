"""Run-length encode a text: 'aaab' -> 'a3b1'."""


def run_length(text: str) -> str:
    if not text:
        return ""
    out = ""
    current, count = text[0], 1
    for ch in text[1:]:
        if ch == current:
            count += 1
        else:
            out += current + str(count)
            current, count = ch, 1
    out += current + str(count)
    return out
