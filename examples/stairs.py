"""Count the ways to climb n stairs taking 1, 2 or 3 steps at a time, by plain recursion.

Try it:  polca optimize examples/stairs.py
The executable skill ``memoize-pure-recursion`` caches the overlapping subproblems.
"""


def ways(n: int) -> int:
    """Number of step sequences (1, 2 or 3 stairs each) that climb exactly ``n`` stairs."""
    if n < 0:
        return 0
    if n == 0:
        return 1
    return ways(n - 1) + ways(n - 2) + ways(n - 3)
