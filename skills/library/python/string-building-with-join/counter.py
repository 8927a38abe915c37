"""Where the join rule must not apply: each function breaks one precondition."""

import struct


def reads_partial_buffer(records):
    out = b""
    for key, value in records:
        if len(out) > 1000:
            break
        out += struct.pack("<ih", key, value)
    return out


def piece_type_unknown(chunks):
    out = b""
    for chunk in chunks:
        out += chunk
    return out


def local_str_is_already_linear(words):
    text = ""
    for word in words:
        text += str(word)
    return text
