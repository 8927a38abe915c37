"""Sum of a grid's cells, reading its size and rows once."""


class Grid:
    """A rectangular grid; its size is exposed through properties."""

    def __init__(self, cells):
        self.cells = cells

    @property
    def height(self):
        return len(self.cells)

    @property
    def width(self):
        return len(self.cells[0]) if self.cells else 0


def solve(cells):
    grid = Grid(cells)
    cells, height, width = grid.cells, grid.height, grid.width
    total = 0
    for y in range(height):
        row = cells[y]
        for x in range(width):
            total += row[x]
    return total
