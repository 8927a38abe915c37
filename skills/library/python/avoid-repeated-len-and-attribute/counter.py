"""Where the attribute rule must not apply: each class breaks one precondition."""


class Rebinds:
    def __init__(self, items: list[int]):
        self.items = list(items)

    def drain(self):
        total = 0
        while self.items:
            total += self.items[0]
            self.items = self.items[1:]
        return total


class WithProperty:
    def __init__(self, items: list[int]):
        self._items = list(items)

    @property
    def items(self):
        return self._items

    def total(self):
        return sum(self.items[i] for i in range(len(self.items)))


class CallsItsOwnMethods:
    def __init__(self, items: list[int]):
        self.items = list(items)

    def grow(self):
        self.items = self.items + [0]

    def total(self, n: int):
        out = 0
        for _ in range(n):
            self.grow()
            out += len(self.items)
        return out
