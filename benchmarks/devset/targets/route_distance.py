"""Distances along delivery routes; points are (x, y) tuples in kilometres."""

import math

EARTH_SCALE = 1.0


class Route:
    def __init__(self, stops, speed_kmh=40.0):
        self.stops = list(stops)
        self.speed_kmh = speed_kmh

    def length(self):
        total = 0.0
        for i in range(1, len(self.stops)):
            x0, y0 = self.stops[i - 1]
            x1, y1 = self.stops[i]
            total = total + math.sqrt((x1 - x0) ** 2 + (y1 - y0) ** 2) * EARTH_SCALE
        return total

    def hours(self):
        return self.length() / self.speed_kmh


def nearest_depot(points, depots):
    """For each point, the index of the closest depot."""
    result = []
    for px, py in points:
        best = 0
        best_d = None
        for j in range(len(depots)):
            dx = depots[j][0] - px
            dy = depots[j][1] - py
            d = math.sqrt(dx * dx + dy * dy)
            if best_d is None or d < best_d:
                best_d = d
                best = j
        result.append(best)
    return result


def total_hours(routes):
    """routes: list of lists of stops -> total driving hours at the default speed."""
    hours = 0.0
    for stops in routes:
        hours += Route(stops).hours()
    return round(hours, 6)
