"""Order-preserving de-duplication of ids, checked against the output list each time.

Try it:  polca optimize examples/dedup_ids.py
The executable skill ``dedup-with-dict-fromkeys`` turns the quadratic loop into one pass.
"""


def unique_ids(ids: list[int]) -> list[int]:
    """The ids in order of first appearance, each once."""
    out = []
    for x in ids:
        if x not in out:
            out.append(x)
    return out
