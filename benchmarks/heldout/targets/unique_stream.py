"""Yield log lines the first time they appear (case-insensitive), skipping repeats."""

from collections.abc import Iterable, Iterator


def first_seen(lines: Iterable[str]) -> Iterator[str]:
    seen = []
    for line in lines:
        key = line.strip().lower()
        if key in seen:
            continue
        seen.append(key)
        yield line
