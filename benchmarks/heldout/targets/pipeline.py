"""Run each value through a chain of transformation steps."""

from collections.abc import Callable


def apply_steps(values: list[int], steps: list[Callable[[int], int]]) -> list[int]:
    current = list(values)
    for step in steps:
        transformed = []
        for v in current:
            transformed = transformed + [step(v)]
        current = transformed
    return current
