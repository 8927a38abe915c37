"""Flatten a nested settings document into dotted keys for the environment file."""


def flatten(doc: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in doc.items():
        name = prefix + "." + str(key) if prefix else str(key)
        if isinstance(value, dict) and value:
            flat = {**flat, **flatten(value, name)}
        else:
            flat = {**flat, name: value}
    return flat
