"""Strategies of the POLCA engine: one small Protocol per decision, one registry each."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

P = TypeVar("P")


def make_policy(registry: Mapping[str, Callable[[], P]], kind: str, name: str) -> P:
    """The ``kind`` policy registered as ``name``; unknown names raise listing the choices."""
    try:
        return registry[name]()
    except KeyError:
        raise ValueError(f"unknown {kind} {name!r}; choose one of {sorted(registry)}") from None
