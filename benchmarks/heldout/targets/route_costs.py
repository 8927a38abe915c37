"""Cost of each delivery route from a nested distance table {city: {city: km}}."""


def route_costs(distances, routes: list[list[str]]) -> list[int | None]:
    costs = []
    for route in routes:
        total = 0
        for i in range(len(route) - 1):
            leg = None
            for origin in distances:
                if origin == route[i]:
                    for dest in distances[origin]:
                        if dest == route[i + 1]:
                            leg = distances[origin][dest]
            if leg is None:
                total = None
                break
            total += leg
        costs.append(total)
    return costs
