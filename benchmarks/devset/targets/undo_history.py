"""An editor's undo history: newest action first."""


class History:
    def __init__(self, limit=100):
        self.limit = limit
        self.items = []

    def record(self, action):
        self.items.insert(0, action)
        if len(self.items) > self.limit:
            self.items.pop()

    def undo(self):
        if len(self.items) == 0:
            return None
        return self.items.pop(0)

    def count_kind(self, kind):
        n = 0
        for i in range(len(self.items)):
            if self.items[i][0] == kind:
                n = n + 1
        return n


def replay(actions, limit=50):
    """Record each (kind, payload) action; every 'undo' kind pops the newest one.

    Returns the payloads left in the history, newest first, and the undo count.
    """
    history = History(limit)
    undone = 0
    for action in actions:
        if action[0] == "undo":
            if history.undo() is not None:
                undone += 1
        else:
            history.record(action)
    return [a[1] for a in history.items], undone
