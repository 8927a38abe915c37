"""Encode records as little-endian (int32, int16) pairs, growing a bytes object."""

import random
import struct

BENCH_SIZE = 6000


def make_input(size: int, rng: random.Random):
    records = [(rng.randrange(-(2**31), 2**31), rng.randrange(-(2**15), 2**15)) for _ in range(size)]
    return (records,), {}


def solve(records):
    out = b""
    for key, value in records:
        out += struct.pack("<ih", key, value)
    return out
