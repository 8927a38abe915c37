"""Count free slots in a calendar whose blocked slots are kept in a list.

Try it:  polca optimize examples/blocked_slots.py
The executable skill ``list-membership-to-set`` turns each O(n) membership test into O(1).
"""


def free_slots(blocked: list[int]) -> int:
    """How many of the slots 0 .. 4 * len(blocked) - 1 are not blocked."""
    taken = [int(slot) for slot in blocked]
    limit = 4 * len(blocked)
    free = 0
    for i in range(limit):
        if i not in taken:
            free += 1
    return free
