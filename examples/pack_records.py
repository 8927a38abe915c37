"""Encode (key, value) records as little-endian int32/int16 pairs, growing a bytes object.

Try it:  polca optimize examples/pack_records.py
The executable skill ``string-building-with-join`` collects the parts and joins them once.
"""

import struct


def pack(records: list[tuple[int, int]]) -> bytes:
    """The records packed back to back, 6 bytes each."""
    out = b""
    for key, value in records:
        out += struct.pack("<ih", key, value)
    return out
