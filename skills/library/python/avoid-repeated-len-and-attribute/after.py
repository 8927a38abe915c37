"""Sum of a grid's cells, reading its size and rows once."""


def solve(grid):
    cells, height, width = grid.cells, grid.height, grid.width
    total = 0
    for y in range(height):
        row = cells[y]
        for x in range(width):
            total += row[x]
    return total
