"""Encode records as little-endian (int32, int16) pairs, joining the parts once."""

import struct


def solve(records):
    parts = []
    for key, value in records:
        parts.append(struct.pack("<ih", key, value))
    return b"".join(parts)
