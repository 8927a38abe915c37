"""Ways to climb a staircase taking 1, 2 or 3 steps at a time."""


def ways(steps):
    if steps < 0:
        return 0
    if steps == 0:
        return 1
    return ways(steps - 1) + ways(steps - 2) + ways(steps - 3)


def ways_table(max_steps):
    """ways(n) for every n from 0 to max_steps."""
    return [ways(n) for n in range(max_steps + 1)]
