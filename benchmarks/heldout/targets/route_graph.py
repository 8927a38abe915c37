"""Which depots can be reached from a depot along the one-way road network."""


class RoadGraph:
    def __init__(self, roads: list[tuple[int, int]]) -> None:
        self.roads = list(roads)

    def reachable(self, start: int) -> list[int]:
        visited = [start]
        queue = [start]
        while queue:
            here = queue.pop(0)
            for a, b in self.roads:
                if a == here and b not in visited:
                    visited.append(b)
                    queue.append(b)
        return sorted(visited)
