"""Concatenate batches of sensor readings into one list."""


def flatten_batches(batches: list[list[int]]) -> list[int]:
    result = []
    for batch in batches:
        result = result + batch
    return result
