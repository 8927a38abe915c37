"""Sum of a grid's cells, reading the grid's size properties in every loop test."""

import random

BENCH_SIZE = 200


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


def make_input(size: int, rng: random.Random):
    cells = [[rng.randrange(100) for _ in range(size)] for _ in range(size)]
    return (cells,), {}


def solve(cells):
    grid = Grid(cells)
    total = 0
    y = 0
    while y < grid.height:
        x = 0
        while x < grid.width:
            total += grid.cells[y][x]
            x += 1
        y += 1
    return total
