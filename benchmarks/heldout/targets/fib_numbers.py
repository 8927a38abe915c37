"""Fibonacci numbers for the puzzle-of-the-day page."""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def fib_table(count):
    return [fib(i) for i in range(count)]
