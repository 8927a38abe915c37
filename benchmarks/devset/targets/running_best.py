"""Best-so-far values of a stream of measurements."""


def best_so_far(readings):
    history = []
    bests = []
    for r in readings:
        history.append(r)
        bests.append(max(history))
    return bests
