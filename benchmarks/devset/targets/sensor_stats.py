"""Summary statistics for a day of temperature readings."""


def summarize(readings):
    """Return (low, high, mean, any_freezing, all_valid) for a list of floats."""
    if len(readings) == 0:
        return None
    low = readings[0]
    for r in readings:
        if r < low:
            low = r
    high = readings[0]
    for r in readings:
        if r > high:
            high = r
    total = 0.0
    for r in readings:
        total = total + r
    freezing = False
    for r in readings:
        if r <= 0.0:
            freezing = True
            break
    valid = True
    for r in readings:
        if not (-60.0 <= r <= 60.0):
            valid = False
    return low, high, total / len(readings), freezing, valid


def hottest_station(stations):
    """stations: dict name -> list of readings; the name with the highest single reading."""
    best_name = None
    best_value = None
    for name in stations:
        values = stations[name]
        if not values:
            continue
        peak = max(values)
        if best_value is None or peak > best_value:
            best_value = peak
            best_name = name
    return best_name
