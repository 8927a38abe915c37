"""Where the running-extreme rule must not apply: each function breaks one precondition."""


def changed_elsewhere(readings: list[int]):
    history = []
    out = []
    for r in readings:
        history.append(r)
        if r < 0:
            history.pop(0)
        out.append(max(history) if history else None)
    return out


def read_before_the_append(readings: list[int]):
    history = []
    out = []
    for r in readings:
        out.append(max(history))
        history.append(r)
    return out


def unknown_items(readings):
    history = []
    out = []
    for r in readings:
        history.append(r)
        out.append(max(history))
    return out


def handed_on(readings: list[int], sink):
    history = []
    out = []
    for r in readings:
        history.append(r)
        sink(history)
        out.append(max(history))
    return out
