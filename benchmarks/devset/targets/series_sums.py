"""Closed-form-able series, written the long way."""


def sum_of_squares(n):
    total = 0
    for i in range(1, n + 1):
        total = total + i * i
    return total


def triangle(n):
    return sum(k for k in range(n + 1))
