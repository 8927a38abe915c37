"""Smallest and largest temperature of a day's readings."""


def day_range(temps):
    if len(temps) == 0:
        return None
    coldest = sorted(temps)[0]
    warmest = sorted(temps)[-1]
    return coldest, warmest
