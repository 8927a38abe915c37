"""Which tax bracket an income falls in, for many incomes."""


def brackets(incomes, thresholds):
    # thresholds is sorted ascending
    result = []
    for income in incomes:
        idx = len(thresholds)
        for i, t in enumerate(thresholds):
            if income < t:
                idx = i
                break
        result.append(idx)
    return result
