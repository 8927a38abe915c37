"""Read a grid of integers from stdin ('rows cols' then the rows); print row and column sums."""

rows, cols = map(int, input().split())
grid = []
for _ in range(rows):
    grid.append(list(map(int, input().split())))
for r in range(rows):
    print(sum(grid[r]))
for c in range(cols):
    total = 0
    for r in range(rows):
        total = total + grid[r][c]
    print(total)
