"""Tile planning: how big a square layout fits a number of tiles."""


def isqrt(n):
    """Largest r with r * r <= n, found by counting up."""
    r = 0
    while (r + 1) * (r + 1) <= n:
        r += 1
    return r


def largest_square_layout(tiles):
    """Side of the largest square grid that `tiles` tiles can fill, and the leftovers."""
    side = isqrt(tiles)
    return side, tiles - side * side


def perfect_squares_up_to(limit):
    """All perfect squares in [1, limit], checked one number at a time."""
    found = []
    for n in range(1, limit + 1):
        r = isqrt(n)
        if r * r == n:
            found.append(n)
    return found
