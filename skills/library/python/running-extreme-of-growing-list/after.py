"""Best-so-far and worst-so-far of a stream of readings, kept as running values."""


def solve(readings: list[int]):
    history = []
    _history_max = None
    _history_min = None
    spans = []
    for r in readings:
        history.append(r)
        _history_max = r if len(history) == 1 else max(_history_max, r)
        _history_min = r if len(history) == 1 else min(_history_min, r)
        spans.append(_history_max - _history_min)
    return spans, len(history)
