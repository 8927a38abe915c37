"""Where the deque rule must not apply: each function breaks one precondition."""


def reads_the_middle(items):
    queue = list(items)
    out = []
    while queue:
        out.append(queue[len(queue) // 2])
        queue.pop(0)
    return out


def returns_the_queue(items, k):
    queue = [0]
    for item in items:
        queue.append(item)
        if len(queue) > k:
            queue.pop(0)
    return queue
