"""Concatenate the batches of a queue into one list."""


def flatten(batches):
    merged = []
    for batch in batches:
        merged = merged + batch
    return merged
