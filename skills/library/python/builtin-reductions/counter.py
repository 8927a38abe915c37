"""Where the reductions rule must not apply: each function breaks one precondition."""


def float_total_could_round_differently(readings: list[float]):
    total = 0
    for x in readings:
        total += x
    return total


def loop_variable_read_after(readings: list[int]):
    total = 0
    for x in readings:
        total += x
    return total, x


def peak_with_a_side_effect(readings: list[int], seen: list[int]):
    peak = None
    for x in readings:
        if peak is None or x > peak:
            peak = x
            seen.append(x)
    return peak


def flag_without_break_keeps_scanning(readings: list[int], log: list[int]):
    negative = False
    for x in readings:
        if x < 0:
            negative = True
            log.append(x)
            break
    return negative


def start_that_may_not_compare(readings: list[int], start):
    peak = start
    for x in readings:
        if x > peak:
            peak = x
    return peak
