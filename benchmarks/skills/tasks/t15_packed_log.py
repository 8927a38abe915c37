"""Serialise (id, code) events into one little-endian byte string."""

import struct


def solve(events):
    blob = b""
    for ident, code in events:
        blob += struct.pack("<ih", ident, code)
    return blob


TESTS = [(([(1, 2)],), b"\x01\x00\x00\x00\x02\x00")]


def bench_inputs():
    return [([(i, i % 300) for i in range(8000)],)]
