"""Order the support tickets: priority first, then age, then arrival order."""

from dataclasses import dataclass
from enum import IntEnum


class Priority(IntEnum):
    URGENT = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


@dataclass(frozen=True)
class Ticket:
    ident: str
    priority: Priority
    age_h: int


def schedule(tickets: list[Ticket]) -> list[str]:
    pending = list(tickets)
    order = []
    while pending:
        best = pending[0]
        for t in pending:
            if (t.priority, -t.age_h) < (best.priority, -best.age_h):
                best = t
        pending.remove(best)
        order.append(best.ident)
    return order
