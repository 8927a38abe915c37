"""Where the heap rule must not apply: each function breaks one precondition."""


def order_of_the_queue_is_returned(sizes: list[int]):
    sizes = list(sizes)
    taken = []
    while len(sizes) > 1:
        a = min(sizes)
        sizes.remove(a)
        taken.append(a)
    return taken, sizes


def may_pop_an_empty_queue(sizes: list[int]):
    sizes = list(sizes)
    cost = 0
    while sizes:
        a = min(sizes)
        sizes.remove(a)
        b = min(sizes)
        sizes.remove(b)
        cost += a + b
    return cost


def floats_may_hold_nan(sizes: list[float]):
    sizes = list(sizes)
    cost = 0.0
    while len(sizes) > 1:
        a = min(sizes)
        sizes.remove(a)
        cost += a
    return cost
