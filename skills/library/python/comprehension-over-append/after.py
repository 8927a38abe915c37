"""Keep the readings above a threshold with a list comprehension."""


def solve(readings, threshold):
    out = [x for x in readings if x > threshold]
    return out
