"""Sum of the multiples of 3 below n and sum of the squares below n, in closed form."""


def solve(n: int):
    threes = 0
    if n > 0:
        threes += 3 * ((n + 3 - 1) // 3) * ((n - 1) // 3) // 2
    squares = ((n - 1) * n * (2 * n - 1) // 6 if n > 0 else 0)
    return threes, squares
