"""Number of monotone routes across a warehouse floor plan (1 = shelf, 0 = aisle)."""


def count_routes(grid: list[list[int]]) -> int:
    if not grid or not grid[0]:
        return 0

    def walk(r, c):
        if r >= len(grid) or c >= len(grid[0]) or grid[r][c] == 1:
            return 0
        if r == len(grid) - 1 and c == len(grid[0]) - 1:
            return 1
        return walk(r + 1, c) + walk(r, c + 1)

    return walk(0, 0)
